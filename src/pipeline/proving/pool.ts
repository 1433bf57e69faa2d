/**
 * A pool of prover worker processes (child_process.fork; TypeScript workers load ts-node). Jobs are
 * handed out as workers become free; results are delivered to `onProved` in completion order
 * (the caller stores them). The first failure stops scheduling; every worker is closed (its
 * prover releases snarkjs threads) before the pool resolves or rejects.
 */
import { ZklaError } from "../../errors";
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { BatchProofs, ProveJob } from "../types";
import type { WorkerReply, WorkerRequest } from "./worker";

export interface PoolJob {
  job: ProveJob;
  expectedPolicySignals: string[];
  expectedZkvmSignals: string[];
}

export interface PoolOptions {
  concurrency: number;
  /** Absolute path of a module exporting createProver(). */
  proverModule: string;
  onStart?: (index: number) => void;
  onProved: (index: number, proofs: BatchProofs, ms: number) => void | Promise<void>;
}

export class ProvingFailedError extends ZklaError {
  constructor(readonly failures: { index: number; message: string }[]) {
    super(
      "proving-failed",
      `proving failed: ${failures.map((f) => f.message).join("; ")}`,
      "proofs finished before the failure are kept: fix the cause and run the same command again",
    );
  }
}

const WORKER = path.join(__dirname, `worker${path.extname(__filename)}`);

/** Workers write nothing to stdout: anything a prover prints goes to stderr, so --json output stays parseable. */
function spawnWorker(): ChildProcess {
  const execArgv = __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
  return fork(WORKER, [], { execArgv, stdio: ["ignore", 2, 2, "ipc"], serialization: "json" });
}

/** Runs `count` jobs taken from `jobs` one at a time as workers become free (a generator keeps memory flat). */
export async function runPool(jobs: Iterable<PoolJob>, count: number, options: PoolOptions): Promise<void> {
  if (count === 0) return;
  const size = Math.max(1, Math.min(Math.floor(options.concurrency), count));
  const source = jobs[Symbol.iterator]();
  const queue = {
    shift(): PoolJob | undefined {
      const r = source.next();
      return r.done ? undefined : r.value;
    },
  };
  const failures: { index: number; message: string }[] = [];
  const workers: ChildProcess[] = [];

  const runWorker = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      let closing = false;
      let exited = false;
      const send = (m: WorkerRequest) => {
        if (!exited && child.connected) child.send(m);
      };
      const next = () => {
        const item = failures.length === 0 ? queue.shift() : undefined;
        if (!item) {
          closing = true;
          send({ type: "close" });
          return;
        }
        options.onStart?.(item.job.index);
        send({
          type: "prove",
          job: item.job,
          expectedPolicySignals: item.expectedPolicySignals,
          expectedZkvmSignals: item.expectedZkvmSignals,
        });
      };
      child.on("message", (msg: WorkerReply) => {
        void (async () => {
          if (msg.type === "ready") next();
          else if (msg.type === "proved") {
            try {
              await options.onProved(msg.index, msg.proofs, msg.ms);
            } catch (err) {
              failures.push({ index: msg.index, message: (err as Error).message });
            }
            next();
          } else if (msg.type === "failed") {
            failures.push({ index: msg.index, message: msg.message });
            next();
          }
        })();
      });
      child.on("exit", (code, signal) => {
        exited = true;
        if (!closing)
          failures.push({ index: -1, message: `a prover worker exited unexpectedly (code ${code}, signal ${signal})` });
        resolve();
      });
      send({ type: "init", proverModule: options.proverModule });
    });

  for (let i = 0; i < size; i++) workers.push(spawnWorker());
  await Promise.all(workers.map(runWorker));
  if (failures.length > 0) throw new ProvingFailedError(failures);
}
