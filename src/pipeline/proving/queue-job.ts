/**
 * The BullMQ sandboxed processor of a queue worker (queue-worker.ts), loaded through
 * queue-processor.js in a child process of the worker, so a long proof never blocks the worker's
 * lock renewals. It loads the prover module ($ZKLA_QUEUE_PROVER_MODULE, default the snarkjs prover)
 * once per child and proves each job with the pool's own checks (proveAndCheck: public signals equal
 * to the plan's, local verification); the proofs are the job's return value.
 */
import type { SandboxedJob } from "bullmq";
import { proveAndCheck } from "./worker";
import { PROVER_MODULE_ENV, type QueueJobData, type QueueJobResult } from "./queue-shared";
import type { Prover, ProverModule } from "../types";

let prover: Promise<Prover> | undefined;

// A child whose worker died (even by SIGKILL) loses its IPC channel: it exits instead of proving for nobody.
process.on("disconnect", () => process.exit(1));

export default async function proveQueueJob(job: SandboxedJob<QueueJobData, QueueJobResult>): Promise<QueueJobResult> {
  if (!prover) {
    const file = process.env[PROVER_MODULE_ENV] || require.resolve("./snark-prover");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    prover = Promise.resolve((require(file) as ProverModule).createProver());
  }
  const t0 = Date.now();
  const d = job.data;
  const proofs = await proveAndCheck(await prover, d.job, d.expectedPolicySignals, d.expectedZkvmSignals);
  return { proofs, ms: Date.now() - t0 };
}
