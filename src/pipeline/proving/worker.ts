/**
 * Worker process entry (forked by pool.ts). Loads a prover module, then for each job: prove,
 * verify locally, check the public signals equal the ones the plan expects (those the anchor will
 * build), and only then reply. On "close" it releases the prover (snarkjs curve threads) and exits.
 * If the parent dies, the IPC channel closes and the worker exits too.
 */
import type { BatchProofs, Prover, ProverModule, ProveJob } from "../types";

export type WorkerRequest =
  | { type: "init"; proverModule: string }
  | { type: "prove"; job: ProveJob; expectedPolicySignals: string[]; expectedZkvmSignals: string[] }
  | { type: "close" };

export type WorkerReply =
  | { type: "ready" }
  | { type: "proved"; index: number; proofs: BatchProofs; ms: number }
  | { type: "failed"; index: number; message: string }
  | { type: "closed" };

/** Proves one job and checks it; throws with a message naming what did not match. */
export async function proveAndCheck(
  prover: Prover,
  job: ProveJob,
  expectedPolicySignals: readonly string[],
  expectedZkvmSignals: readonly string[],
): Promise<BatchProofs> {
  const proofs = await prover.prove(job);
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => BigInt(x) === BigInt(b[i]));
  if (!same(proofs.policyPublicSignals, expectedPolicySignals)) {
    throw new Error(
      `batch ${job.index}: the policy proof's public signals differ from the plan (stale build or wrong threshold?)`,
    );
  }
  if (!same(proofs.zkvmPublicSignals, expectedZkvmSignals)) {
    throw new Error(
      `batch ${job.index}: the zkVM proof's public signals differ from the plan (stale build or wrong guest?)`,
    );
  }
  if (proofs.policyProof.length !== 24 || proofs.zkvmProof.length !== 8) {
    throw new Error(
      `batch ${job.index}: expected 24 policy and 8 zkVM proof words, got ${proofs.policyProof.length} and ${proofs.zkvmProof.length}`,
    );
  }
  const ok = await prover.verify(job, proofs);
  if (!ok.policy || !ok.zkvm) {
    throw new Error(
      `batch ${job.index}: local verification failed (policy ${ok.policy ? "ok" : "REJECTED"}, zkVM ${ok.zkvm ? "ok" : "REJECTED"}); nothing was stored`,
    );
  }
  return proofs;
}

function main(): void {
  let prover: Prover | undefined;
  const reply = (m: WorkerReply) => process.send?.(m);
  process.on("disconnect", () => process.exit(1));
  process.on("message", (msg: WorkerRequest) => {
    void (async () => {
      if (msg.type === "init") {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(msg.proverModule) as ProverModule;
        prover = await mod.createProver();
        reply({ type: "ready" });
      } else if (msg.type === "prove") {
        const t0 = Date.now();
        try {
          if (!prover) throw new Error("worker not initialised");
          const proofs = await proveAndCheck(prover, msg.job, msg.expectedPolicySignals, msg.expectedZkvmSignals);
          reply({ type: "proved", index: msg.job.index, proofs, ms: Date.now() - t0 });
        } catch (err) {
          reply({ type: "failed", index: msg.job.index, message: (err as Error).message ?? String(err) });
        }
      } else if (msg.type === "close") {
        await prover?.close();
        reply({ type: "closed" });
        process.disconnect();
      }
    })().catch((err) => {
      console.error(err);
      process.exit(1);
    });
  });
}

if (require.main === module) main();
