/**
 * `npx hardhat anchor:worker --queue redis://host:port`: a prover for runs proved through a queue
 * (docs/pipeline.md, "Several machines"). It takes batches from the queue, proves them with this
 * clone's build of --profile and hands the proofs back to the submitter, until SIGINT/SIGTERM: the
 * first lets the jobs in progress finish, a second exits at once (those jobs go back to the queue
 * when their lock expires). Progress on stderr; --json: one JSON event per line on stdout.
 */
import fs from "node:fs";
import os from "node:os";
import { task } from "hardhat/config";
import { UsageError, ZklaError } from "../../src/errors";
import { command, intArg } from "./cli";
import { toJson } from "./render";

interface Args {
  queue?: string;
  queueName: string;
  concurrency?: string;
  profile: string;
  lockSeconds?: string;
  json: boolean;
}

task("anchor:worker", "Proves batches taken from a Redis queue for a submitter on another machine; runs until Ctrl-C")
  .addOptionalParam(
    "queue",
    "the queue's Redis: redis://[user:password@]host:port[/db] (the password may come from ZKLA_REDIS_PASSWORD instead)",
  )
  .addOptionalParam("queueName", "queue name (the submitter's)", "zkla-proving")
  .addOptionalParam("concurrency", "batches proven at once, each in its own process (default: CPU count)")
  .addOptionalParam("profile", "circuit profile of this clone's build: test | production", "test")
  .addOptionalParam(
    "lockSeconds",
    "how long a job stays locked to this worker without a renewal: the job of a worker that died goes to another after about this long (default 30)",
  )
  .addFlag("json", "machine-readable output: one JSON event per line on stdout")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const { parseQueueUrl } = await import("../../src/pipeline/proving/queue-shared");
      const { PROFILES, circuitPaths } = await import("../../src/paths");
      if (!args.queue)
        throw new UsageError("--queue is required: the queue's Redis URL", "e.g. --queue redis://10.0.0.5:6379");
      parseQueueUrl(args.queue);
      const concurrency = intArg(args.concurrency, "--concurrency", 1) ?? Math.max(1, os.cpus().length);
      const lockMs = (intArg(args.lockSeconds, "--lock-seconds", 2) ?? 30) * 1000;
      const profile = PROFILES.find((p) => p === args.profile);
      if (!profile)
        throw new UsageError(`--profile must be one of ${PROFILES.join(", ")}, got "${args.profile.slice(0, 80)}"`);
      for (const c of ["policy", "zkvm"]) {
        const vkey = circuitPaths(c, profile).vkey;
        if (!fs.existsSync(vkey))
          throw new ZklaError(
            "build-missing",
            `no ${profile} build here: ${vkey} not found`,
            `build the circuits of the submitter's commit: npx hardhat circuits:build --profile ${profile}`,
          );
      }
      const { provingKeyId } = await import("../../src/pipeline/proving/prove");
      const { startQueueWorker } = await import("../../src/pipeline/proving/queue-worker");
      const { describeWorkerEvent } = await import("../../src/pipeline/proving/queue-describe");
      const handle = await startQueueWorker({
        url: args.queue,
        queueName: args.queueName,
        concurrency,
        keyId: provingKeyId(profile),
        lockDurationMs: lockMs,
        stalledIntervalMs: lockMs,
        onEvent: (e) => {
          if (args.json) console.log(toJson(e));
          else console.error(describeWorkerEvent(e));
        },
      });
      await new Promise<void>((resolve, reject) => {
        let signals = 0;
        const stop = (signal: NodeJS.Signals) => {
          if (++signals > 1) process.exit(signal === "SIGINT" ? 130 : 143);
          handle.close().then(resolve, reject);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    }),
  );
