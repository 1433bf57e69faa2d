/**
 * A fake Prover for worker-pool tests: recomputes the public signals from the job with the shared
 * reference definitions and returns proof words bound to them (verifiable by FakeAnchor).
 * Env: FAKE_PROVER_DELAY_MS (per batch), FAKE_PROVER_FAIL_INDEX (throw on that batch),
 * FAKE_PROVER_BAD_VERIFY_INDEX (verify returns false), FAKE_PROVER_LOG (append one line per proof).
 */
import fs from "node:fs";
import { fakeEvaluate, fakeProofWords } from "./fakes";
import type { BatchProofs, Prover, ProveJob } from "../../src/pipeline/types";

function signals(job: ProveJob): { policy: bigint[]; zkvm: bigint[] } {
  const apps = job.applications.map((a) => ({
    applicantId: BigInt(a.applicantId),
    score: BigInt(a.score),
    salt: BigInt(a.salt),
  }));
  const o = fakeEvaluate(apps, BigInt(job.threshold), job.batchSize);
  const t = BigInt(job.threshold);
  return {
    policy: [o.tapeDigest, o.decisionBits, BigInt(o.activeCount), ...o.commitments, t],
    zkvm: [
      BigInt(job.methodId),
      o.tapeDigest,
      BigInt(job.domain),
      BigInt(job.prevRoot),
      BigInt(job.nonce),
      t,
      2n,
      o.decisionBits,
      BigInt(o.activeCount),
    ],
  };
}

export function createProver(): Prover {
  return {
    async prove(job: ProveJob): Promise<BatchProofs> {
      const delay = Number(process.env.FAKE_PROVER_DELAY_MS ?? 0);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (process.env.FAKE_PROVER_FAIL_INDEX === String(job.index))
        throw new Error(`fake prover failure on batch ${job.index}`);
      const s = signals(job);
      if (process.env.FAKE_PROVER_LOG) fs.appendFileSync(process.env.FAKE_PROVER_LOG, `${job.index}\n`);
      return {
        policyProof: fakeProofWords("policy", s.policy, 24),
        zkvmProof: fakeProofWords("zkvm", s.zkvm, 8),
        policyPublicSignals: s.policy.map(String),
        zkvmPublicSignals: s.zkvm.map(String),
        policyMs: delay,
        zkvmMs: 0,
      };
    },
    async verify(job, proofs) {
      const s = signals(job);
      const bad = process.env.FAKE_PROVER_BAD_VERIFY_INDEX === String(job.index);
      return {
        policy: !bad && proofs.policyProof.join() === fakeProofWords("policy", s.policy, 24).join(),
        zkvm: proofs.zkvmProof.join() === fakeProofWords("zkvm", s.zkvm, 8).join(),
      };
    },
    async close() {},
  };
}
