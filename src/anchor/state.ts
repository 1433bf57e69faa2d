/**
 * TypeScript mirror of every value StateAnchor computes (contracts/StateAnchor.sol): domain, genesis
 * root, decision leaves and their Merkle tree, the state-root step, verifier selectors and the two
 * public-signal arrays. test/anchor differential-tests each function against the contract.
 */
import { AbiCoder, encodeBytes32String, getAddress, id, keccak256, concat, toBeHex, zeroPadValue } from "ethers";
import { SNARK_SCALAR_FIELD, assertFieldElement } from "../field";

const abi = AbiCoder.defaultAbiCoder();

export const DOMAIN_TAG = encodeBytes32String("zkla.domain.v1");
export const GENESIS_TAG = encodeBytes32String("zkla.genesis.v1");
export const STATE_TAG = encodeBytes32String("zkla.state.v1");

/** zkVM public-signal count (methodId, tapeDigest, K = 4 params, journalLen, J = 2 journal words). */
export const ZKVM_PUBLIC_SIGNALS = 9;
/** The loan guest's journal length: [decisionBits, activeCount]. */
export const ZKVM_JOURNAL_LEN = 2n;
export const POLICY_PROOF_WORDS = 24;
export const ZKVM_PROOF_WORDS = 8;
/** decisionBits is one 256-bit word. */
export const MAX_BATCH_SIZE = 256;

const ZERO32 = "0x" + "00".repeat(32);

function fieldOf(hash: string): bigint {
  return BigInt(hash) % SNARK_SCALAR_FIELD;
}

/** uint256(keccak256(abi.encode(bytes32("zkla.domain.v1"), chainId, anchor))) % r. */
export function anchorDomain(chainId: bigint, anchor: string): bigint {
  return fieldOf(keccak256(abi.encode(["bytes32", "uint256", "address"], [DOMAIN_TAG, chainId, getAddress(anchor)])));
}

/** The state root before the first batch: uint256(keccak256(abi.encode(bytes32("zkla.genesis.v1"), domain))) % r. */
export function genesisRoot(domain: bigint): bigint {
  return fieldOf(keccak256(abi.encode(["bytes32", "uint256"], [GENESIS_TAG, domain])));
}

/** One decision of a batch, as the anchor commits to it. */
export interface DecisionRef {
  policyId: bigint;
  nonce: bigint;
  slot: number;
  commitment: bigint;
  approved: boolean;
}

/** keccak256(abi.encode(commitment, approved, policyId, nonce, slot)). */
export function decisionLeaf(d: DecisionRef): string {
  return keccak256(
    abi.encode(
      ["uint256", "bool", "uint256", "uint64", "uint256"],
      [d.commitment, d.approved, d.policyId, d.nonce, d.slot],
    ),
  );
}

/** Whether slot `slot` is approved in `decisionBits`. */
export function isApproved(decisionBits: bigint, slot: number): boolean {
  return ((decisionBits >> BigInt(slot)) & 1n) === 1n;
}

/** Leaves of a batch: one per slot (inactive slots included), padded with zero words to a power of two. */
export function decisionLeaves(
  policyId: bigint,
  nonce: bigint,
  commitments: readonly bigint[],
  decisionBits: bigint,
): string[] {
  if (commitments.length < 1 || commitments.length > MAX_BATCH_SIZE) {
    throw new RangeError(`a batch has 1..${MAX_BATCH_SIZE} slots, got ${commitments.length}`);
  }
  const leaves = commitments.map((commitment, slot) =>
    decisionLeaf({ policyId, nonce, slot, commitment, approved: isApproved(decisionBits, slot) }),
  );
  let width = 1;
  while (width < leaves.length) width *= 2;
  while (leaves.length < width) leaves.push(ZERO32);
  return leaves;
}

function hashPair(left: string, right: string): string {
  return keccak256(concat([left, right]));
}

function levels(leaves: string[]): string[][] {
  const out = [leaves];
  while (out[out.length - 1].length > 1) {
    const prev = out[out.length - 1];
    const next: string[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(hashPair(prev[i], prev[i + 1]));
    out.push(next);
  }
  return out;
}

/** The batch's decisions Merkle root, as stored by the anchor under the batch nonce. */
export function decisionsRoot(
  policyId: bigint,
  nonce: bigint,
  commitments: readonly bigint[],
  decisionBits: bigint,
): string {
  const tree = levels(decisionLeaves(policyId, nonce, commitments, decisionBits));
  return tree[tree.length - 1][0];
}

/** Siblings from the leaf up for `slot`: the `proof` argument of StateAnchor.verifyDecision. */
export function decisionProof(
  policyId: bigint,
  nonce: bigint,
  commitments: readonly bigint[],
  decisionBits: bigint,
  slot: number,
): string[] {
  if (!Number.isInteger(slot) || slot < 0 || slot >= commitments.length) {
    throw new RangeError(`slot must be in 0..${commitments.length - 1}, got ${slot}`);
  }
  const tree = levels(decisionLeaves(policyId, nonce, commitments, decisionBits));
  const proof: string[] = [];
  let index = slot;
  for (let level = 0; level < tree.length - 1; level++) {
    proof.push(tree[level][index ^ 1]);
    index >>= 1;
  }
  return proof;
}

/** Off-chain equivalent of StateAnchor.verifyDecision against a known decisions root. */
export function verifyDecisionProof(root: string, d: DecisionRef, proof: readonly string[]): boolean {
  if (proof.length > 8 || d.slot < 0 || d.slot >> proof.length !== 0) return false;
  let node = decisionLeaf(d);
  proof.forEach((sibling, i) => {
    node = ((d.slot >> i) & 1) === 1 ? hashPair(sibling, node) : hashPair(node, sibling);
  });
  return node.toLowerCase() === root.toLowerCase();
}

/** Inputs of one state-root step. */
export interface StateStep {
  prevRoot: bigint;
  nonce: bigint;
  policyId: bigint;
  methodId: bigint;
  decisionsRoot: string;
  tapeDigest: bigint;
  decisionBits: bigint;
  activeCount: bigint;
}

/** uint256(keccak256(abi.encode(bytes32("zkla.state.v1"), prevRoot, nonce, policyId, methodId, decisionsRoot, tapeDigest, decisionBits, activeCount))) % r. */
export function nextStateRoot(s: StateStep): bigint {
  return fieldOf(
    keccak256(
      abi.encode(
        ["bytes32", "uint256", "uint64", "uint256", "uint256", "bytes32", "uint256", "uint256", "uint256"],
        [
          STATE_TAG,
          s.prevRoot,
          s.nonce,
          s.policyId,
          s.methodId,
          zeroPadValue(s.decisionsRoot, 32),
          s.tapeDigest,
          s.decisionBits,
          s.activeCount,
        ],
      ),
    ),
  );
}

/** Selector of the snarkjs PLONK verifier for `signalCount` public signals. */
export function plonkSelector(signalCount: number): string {
  return id(`verifyProof(uint256[24],uint256[${signalCount}])`).slice(0, 10);
}

/** Selector of the snarkjs Groth16 verifier for `signalCount` public signals. */
export function groth16Selector(signalCount: number): string {
  return id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${signalCount}])`).slice(0, 10);
}

/** The batch values both proofs expose (the anchor's Batch struct). */
export interface BatchValues {
  tapeDigest: bigint;
  decisionBits: bigint;
  activeCount: bigint;
  commitments: bigint[];
}

/** Policy public signals as the anchor builds them: [tapeDigest, decisionBits, activeCount, commitments..., threshold]. */
export function anchorPolicySignals(batch: BatchValues, threshold: bigint): bigint[] {
  return [batch.tapeDigest, batch.decisionBits, batch.activeCount, ...batch.commitments, threshold];
}

/** The zkVM's anchor binding for one batch. */
export interface ZkvmBinding {
  methodId: bigint;
  domain: bigint;
  prevRoot: bigint;
  nonce: bigint;
  threshold: bigint;
}

/** zkVM params [domain, prevStateRoot, nonce, threshold] the anchor binds the loan guest to. */
export function anchorZkvmParams(b: Omit<ZkvmBinding, "methodId">): bigint[] {
  return [b.domain, b.prevRoot, b.nonce, b.threshold];
}

/** zkVM public signals as the anchor builds them: [methodId, tapeDigest, domain, prevRoot, nonce, threshold, 2, decisionBits, activeCount]. */
export function anchorZkvmSignals(batch: Omit<BatchValues, "commitments">, b: ZkvmBinding): bigint[] {
  return [
    b.methodId,
    batch.tapeDigest,
    ...anchorZkvmParams(b),
    ZKVM_JOURNAL_LEN,
    batch.decisionBits,
    batch.activeCount,
  ];
}

/** Exact calldata the anchor sends to a verifier: selector ++ proof words ++ signal words. */
export function verifierCalldata(selector: string, proofWords: readonly bigint[], signals: readonly bigint[]): string {
  return concat([selector, ...[...proofWords, ...signals].map((w) => toBeHex(w, 32))]);
}

/** Checks that every value is a field element; `what` names the array in the message. */
export function assertFieldElements(values: readonly bigint[], what: string): void {
  values.forEach((v, i) => assertFieldElement(v, `${what}[${i}]`));
}
