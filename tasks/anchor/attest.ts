/** `npx hardhat anchor:attest`: anchor:prove then anchor:submit; the script API's attest(). */
import { command, readProvider } from "./cli";
import { runRequest, runTask, submitFields, type ProveArgs, type SubmitArgs } from "./options";
import { renderer } from "./render";

runTask<ProveArgs & SubmitArgs>(
  "anchor:attest",
  "anchor:prove then anchor:submit: applications in, attested batches out (resumable)",
  true,
  true,
).setAction((args, hre) =>
  command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
    const { attest, planOptions, submitOptions } = await import("../../src/api");
    submitOptions(args); // bad submit arguments stop the run before anything is proven
    planOptions(args);
    const r = renderer(args.json);
    const provider = await readProvider(hre, {
      attempts: args.retries,
      onRetry: (i) => r.sink({ type: "retry", ...i }),
    });
    try {
      await attest({
        ...(await runRequest(hre, args)),
        ...(await submitFields(hre, args, provider)),
        concurrency: args.concurrency,
        maxBatches: args.maxBatches,
        onEvent: r.sink,
      });
    } finally {
      r.stop();
    }
  }),
);
