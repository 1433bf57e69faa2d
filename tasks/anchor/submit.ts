/** `npx hardhat anchor:submit`: submit a proven run in nonce order (idempotent, resumable); the API's submit(). */
import { command, readProvider } from "./cli";
import { runRequest, runTask, submitFields, type SubmitArgs } from "./options";
import { renderer } from "./render";

runTask<SubmitArgs>(
  "anchor:submit",
  "Submits a proven run's batches to the StateAnchor strictly in nonce order (idempotent, resumable)",
  false,
  true,
).setAction((args, hre) =>
  command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
    const { submit, submitOptions } = await import("../../src/api");
    submitOptions(args); // bad submit arguments stop before anything is read or sent
    const r = renderer(args.json);
    const provider = await readProvider(hre, {
      attempts: args.retries,
      onRetry: (i) => r.sink({ type: "retry", ...i }),
    });
    try {
      await submit({
        ...(await runRequest(hre, args)),
        ...(await submitFields(hre, args, provider)),
        onEvent: r.sink,
      });
    } finally {
      r.stop();
    }
  }),
);
