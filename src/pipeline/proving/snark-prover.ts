/**
 * The real Prover (loaded by worker processes): the batch's PLONK policy proof (src/policy) and the
 * loan guest's Groth16 zkVM proof (src/zkvm), both verified with the build's verification keys.
 * close() terminates snarkjs's curve threads so the worker exits.
 */
import { encodePolicyProof, provePolicy, verifyPolicy, type PlonkProof } from "../../policy";
import { encodeZkvmProof, proveLoanGuest, verifyZkvm, type Groth16Proof } from "../../zkvm";
import { terminateCurves } from "../../snark";
import type { BatchProofs, Prover, ProveJob } from "../types";

interface Raw {
  policy: PlonkProof;
  zkvm: Groth16Proof;
}

export function createProver(): Prover {
  // The raw snarkjs proofs of the last prove() per batch, for verify() (calldata words are not verifiable in JS).
  const raw = new Map<number, Raw>();
  return {
    async prove(job: ProveJob): Promise<BatchProofs> {
      const batch = job.applications.map((a) => ({
        applicantId: BigInt(a.applicantId),
        score: BigInt(a.score),
        salt: BigInt(a.salt),
      }));
      const threshold = BigInt(job.threshold);
      const t0 = Date.now();
      const policy = await provePolicy(batch, threshold, { profile: job.profile });
      const t1 = Date.now();
      const zkvm = await proveLoanGuest({
        batch,
        batchSize: job.batchSize,
        domain: BigInt(job.domain),
        prevRoot: BigInt(job.prevRoot),
        nonce: BigInt(job.nonce),
        threshold,
        profile: job.profile,
      });
      const t2 = Date.now();
      raw.set(job.index, { policy: policy.proof, zkvm: zkvm.proof });
      return {
        policyProof: encodePolicyProof(policy.proof).map(String),
        zkvmProof: encodeZkvmProof(zkvm.proof).map(String),
        policyPublicSignals: policy.publicSignals.map(String),
        zkvmPublicSignals: zkvm.publicSignals.map(String),
        policyMs: t1 - t0,
        zkvmMs: t2 - t1,
      };
    },
    async verify(job, proofs) {
      const r = raw.get(job.index);
      if (!r) return { policy: false, zkvm: false };
      raw.delete(job.index);
      const options = { profile: job.profile };
      return {
        policy: await verifyPolicy(r.policy, proofs.policyPublicSignals.map(BigInt), options),
        zkvm: await verifyZkvm(r.zkvm, proofs.zkvmPublicSignals.map(BigInt), options),
      };
    },
    async close() {
      await terminateCurves();
    },
  };
}
