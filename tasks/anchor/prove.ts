/** `npx hardhat anchor:prove`: validate, plan and prove a run (resumable); the script API's prove(). */
import { command, readProvider } from "./cli";
import { runRequest, runTask, type ProveArgs } from "./options";
import { renderer } from "./render";

runTask<ProveArgs>(
  "anchor:prove",
  "Validates an applications file, plans its batches against the anchor's state and proves them in parallel (resumable)",
  true,
  false,
).setAction((args, hre) =>
  command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
    const { prove } = await import("../../src/api");
    const r = renderer(args.json);
    try {
      await prove({
        ...(await runRequest(hre, args)),
        provider: await readProvider(hre, { attempts: 8, onRetry: (i) => r.sink({ type: "retry", ...i }) }),
        concurrency: args.concurrency,
        onEvent: r.sink,
      });
    } finally {
      r.stop();
    }
  }),
);
