/** `npx hardhat anchor:attest`: plan, then prove and submit at the same time (streaming); the script API's attest(). */
import { command, readProvider } from "./cli";
import { runRequest, runTask, submitFields, type ProveArgs, type SubmitArgs } from "./options";
import { renderer } from "./render";

runTask<ProveArgs & SubmitArgs>(
  "anchor:attest",
  "plans, proves and submits at once: batch k is sent as soon as batches 0..k are proven (resumable)",
  true,
  true,
).setAction((args, hre) =>
  command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
    const { attest, planOptions, queueOptions, submitOptions } = await import("../../src/api");
    submitOptions(args); // bad submit arguments stop the run before anything is proven
    planOptions(args);
    queueOptions(args);
    const r = renderer(args.json, undefined, true);
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
        skipAttested: args.skipAttested,
        queue: args.queue,
        queueName: args.queueName,
        onEvent: r.sink,
      });
    } finally {
      r.stop();
    }
  }),
);
