/**
 * The submitter's check of a proof made elsewhere (runQueue's `verify`): both proofs, decoded from
 * their calldata words, verified with this build's verification keys against the public signals the
 * plan expects (not the ones the worker sent). snark-prover's own verify() cannot do this: it checks
 * the raw snarkjs proofs of its own prove() calls. Loads snarkjs: call terminateCurves()
 * (src/snark.ts) when done, or the process never exits.
 */
import { decodePolicyProof, verifyPolicy } from "../../policy";
import { decodeZkvmProof, verifyZkvm } from "../../zkvm";
import type { BatchProofs } from "../types";
import type { PoolJob } from "./pool";

export async function verifyBatchProofs(pj: PoolJob, proofs: BatchProofs): Promise<boolean> {
  const options = { profile: pj.job.profile };
  let policy, zkvm;
  try {
    policy = decodePolicyProof(proofs.policyProof.map(BigInt));
    zkvm = decodeZkvmProof(proofs.zkvmProof.map(BigInt));
  } catch {
    return false; // malformed words
  }
  return (
    (await verifyPolicy(policy, pj.expectedPolicySignals.map(BigInt), options)) &&
    (await verifyZkvm(zkvm, pj.expectedZkvmSignals.map(BigInt), options))
  );
}
