/** Builds StateAnchor.attest arguments from prover outputs. */
import { assertFieldElement } from "../field";
import { POLICY_PROOF_WORDS, ZKVM_PROOF_WORDS, assertFieldElements, type BatchValues } from "./state";

/** What the provers hand over for one batch. */
export interface AttestInput {
  policyId: bigint;
  /** The anchor nonce both proofs were made for. */
  nonce: bigint;
  /** The policy circuit's outputs (src/policy PolicyOutputs has this shape). */
  policyOutputs: BatchValues;
  /** 24 words (src/policy encodePolicyProof). */
  policyProofWords: readonly bigint[];
  /** 8 words: pA, pB (Solidity order), pC (src/zkvm encodeZkvmProof). */
  zkvmProofWords: readonly bigint[];
}

/** Positional arguments of attest(policyId, expectedNonce, batch, policyProof, zkvmProof). */
export type AttestArgs = [bigint, bigint, BatchValues, bigint[], bigint[]];

/**
 * Validates and orders the attest arguments. Throws (before any transaction) on a wrong proof length or
 * a value outside the field: the contract would revert on them anyway.
 */
export function buildAttestArgs(input: AttestInput): AttestArgs {
  const { policyOutputs: o } = input;
  if (input.policyProofWords.length !== POLICY_PROOF_WORDS) {
    throw new RangeError(
      `policy proof must have ${POLICY_PROOF_WORDS} words (encodePolicyProof), got ${input.policyProofWords.length}`,
    );
  }
  if (input.zkvmProofWords.length !== ZKVM_PROOF_WORDS) {
    throw new RangeError(
      `zkVM proof must have ${ZKVM_PROOF_WORDS} words (encodeZkvmProof), got ${input.zkvmProofWords.length}`,
    );
  }
  if (input.nonce < 0n || input.nonce >= 2n ** 64n) throw new RangeError(`nonce must be a uint64, got ${input.nonce}`);
  if (input.policyId < 1n) throw new RangeError(`policyId must be >= 1, got ${input.policyId}`);
  assertFieldElement(o.tapeDigest, "tapeDigest");
  assertFieldElement(o.decisionBits, "decisionBits");
  assertFieldElement(o.activeCount, "activeCount");
  assertFieldElements(o.commitments, "commitments");
  const batch: BatchValues = {
    tapeDigest: o.tapeDigest,
    decisionBits: o.decisionBits,
    activeCount: o.activeCount,
    commitments: [...o.commitments],
  };
  return [input.policyId, input.nonce, batch, [...input.policyProofWords], [...input.zkvmProofWords]];
}
