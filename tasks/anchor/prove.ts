/** `npx hardhat anchor:prove`: validate, plan and prove a run (resumable); the script API's prove() (plan() with --plan-only). */
import { command, readProvider } from "./cli";
import { runRequest, runTask, type ProveArgs } from "./options";
import { renderer } from "./render";

runTask<ProveArgs & { planOnly: boolean }>(
  "anchor:prove",
  "Validates an applications file, plans its batches against the anchor's state and proves them in parallel (resumable)",
  true,
  false,
)
  .addFlag("planOnly", "stop after planning (plan.json, batches.jsonl, receipts.csv written); prove nothing")
  .setAction((args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const { plan, planOptions, prove, queueOptions } = await import("../../src/api");
      planOptions(args); // a bad --max-batches or --queue stops the run before anything is read
      queueOptions(args);
      const r = renderer(args.json);
      try {
        const request = {
          ...(await runRequest(hre, args)),
          provider: await readProvider(hre, { attempts: 8, onRetry: (i) => r.sink({ type: "retry", ...i }) }),
          maxBatches: args.maxBatches,
          skipAttested: args.skipAttested,
          queue: args.queue,
          queueName: args.queueName,
          onEvent: r.sink,
        };
        await (args.planOnly ? plan(request) : prove({ ...request, concurrency: args.concurrency }));
      } finally {
        r.stop();
      }
    }),
  );
