/**
 * TypeScript mirror of every value StateAnchor computes (contracts/StateAnchor.sol): domain, genesis
 * root, decision leaves and their Merkle tree, the state-root step, verifier selectors and the two
 * public-signal arrays. test/anchor differential-tests each function against the contract.
 */
import {
  AbiCoder,
  encodeBytes32String,
  getAddress,
  getBytes,
  id,
  keccak256,
  concat,
  toBeHex,
  zeroPadValue,
} from "ethers";
import { SNARK_SCALAR_FIELD, assertFieldElement } from "../field";
import { nativeHash } from "../hash";

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

function fieldOf(hash: string): bigint {
  return BigInt(hash) % SNARK_SCALAR_FIELD;
}

/*
 * The hot paths (the decisions tree and the state step run once per planned batch) encode the ABI
 * words themselves (as hex, one Buffer per call) and hash with the native keccak256 when src/hash.ts
 * loaded the addon: the same bytes and digests as abi.encode + ethers' keccak256 (test/hash/native.test.ts
 * compares them), much faster. Values the fast encoding does not handle (not a bigint, out of range,
 * not a 32-byte hex word) take the ethers path, so they fail exactly as before.
 */
const UINT64_END = 1n << 64n;
const UINT256_END = 1n << 256n;
const WORD_HEX = /^0x[0-9a-fA-F]{64}$/;
const FALSE_WORD = "0".repeat(64);
const TRUE_WORD = "0".repeat(63) + "1";

function isUint(x: unknown, end: bigint): x is bigint {
  return typeof x === "bigint" && x >= 0n && x < end;
}

/** `x` (0 <= x < 2^256) as a 32-byte big-endian word in hex, without 0x. */
function word(x: bigint): string {
  return x.toString(16).padStart(64, "0");
}

/** keccak256 of each consecutive `size`-byte chunk of `data`, concatenated (native when available). */
function keccakEach(data: Uint8Array, size: number): Uint8Array {
  const addon = nativeHash();
  if (addon) return addon.keccak256Each(data, size);
  const out = new Uint8Array((data.length / size) * 32);
  for (let i = 0; i * size < data.length; i++) {
    out.set(getBytes(keccak256(data.subarray(i * size, (i + 1) * size))), 32 * i);
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** decisionLeaf's abi.encode as hex (no 0x), or undefined when the fast encoding does not apply. */
function leafInput(d: DecisionRef): string | undefined {
  if (
    !isUint(d.commitment, UINT256_END) ||
    typeof d.approved !== "boolean" ||
    !isUint(d.policyId, UINT256_END) ||
    !isUint(d.nonce, UINT64_END) ||
    !Number.isSafeInteger(d.slot) ||
    d.slot < 0
  ) {
    return undefined;
  }
  const approved = d.approved ? TRUE_WORD : FALSE_WORD;
  return word(d.commitment) + approved + word(d.policyId) + word(d.nonce) + word(BigInt(d.slot));
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
  const input = leafInput(d);
  if (input !== undefined) return hex(keccakEach(Buffer.from(input, "hex"), 160));
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

/** The leaves of decisionLeaves, 32 bytes each, in one array. */
function leafLevel(policyId: bigint, nonce: bigint, commitments: readonly bigint[], decisionBits: bigint): Uint8Array {
  if (commitments.length < 1 || commitments.length > MAX_BATCH_SIZE) {
    throw new RangeError(`a batch has 1..${MAX_BATCH_SIZE} slots, got ${commitments.length}`);
  }
  let width = 1;
  while (width < commitments.length) width *= 2;
  const level = new Uint8Array(32 * width); // the padding leaves are zero words
  if (
    isUint(policyId, UINT256_END) &&
    isUint(nonce, UINT64_END) &&
    typeof decisionBits === "bigint" &&
    commitments.every((c) => isUint(c, UINT256_END))
  ) {
    const tail = word(policyId) + word(nonce);
    let input = "";
    for (let slot = 0; slot < commitments.length; slot++) {
      const approved = isApproved(decisionBits, slot) ? TRUE_WORD : FALSE_WORD;
      input += word(commitments[slot]) + approved + tail + word(BigInt(slot));
    }
    level.set(keccakEach(Buffer.from(input, "hex"), 160));
  } else {
    commitments.forEach((commitment, slot) => {
      const leaf = decisionLeaf({ policyId, nonce, slot, commitment, approved: isApproved(decisionBits, slot) });
      level.set(getBytes(leaf), 32 * slot);
    });
  }
  return level;
}

function node(level: Uint8Array, index: number): string {
  return hex(level.subarray(32 * index, 32 * (index + 1)));
}

/** Leaves of a batch: one per slot (inactive slots included), padded with zero words to a power of two. */
export function decisionLeaves(
  policyId: bigint,
  nonce: bigint,
  commitments: readonly bigint[],
  decisionBits: bigint,
): string[] {
  const level = leafLevel(policyId, nonce, commitments, decisionBits);
  return Array.from({ length: level.length / 32 }, (_, i) => node(level, i));
}

function hashPair(left: string, right: string): string {
  if (WORD_HEX.test(left) && WORD_HEX.test(right)) {
    return hex(keccakEach(Buffer.from(left.slice(2) + right.slice(2), "hex"), 64));
  }
  return keccak256(concat([left, right]));
}

/** The tree's levels from the leaves up, the 32-byte nodes of each level in one array. */
function levels(leaves: Uint8Array): Uint8Array[] {
  const out = [leaves];
  while (out[out.length - 1].length > 32) out.push(keccakEach(out[out.length - 1], 64));
  return out;
}

/** The batch's decisions Merkle root, as stored by the anchor under the batch nonce. */
export function decisionsRoot(
  policyId: bigint,
  nonce: bigint,
  commitments: readonly bigint[],
  decisionBits: bigint,
): string {
  const tree = levels(leafLevel(policyId, nonce, commitments, decisionBits));
  return node(tree[tree.length - 1], 0);
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
  const tree = levels(leafLevel(policyId, nonce, commitments, decisionBits));
  const proof: string[] = [];
  let index = slot;
  for (let level = 0; level < tree.length - 1; level++) {
    proof.push(node(tree[level], index ^ 1));
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
  if (
    isUint(s.prevRoot, UINT256_END) &&
    isUint(s.nonce, UINT64_END) &&
    isUint(s.policyId, UINT256_END) &&
    isUint(s.methodId, UINT256_END) &&
    typeof s.decisionsRoot === "string" &&
    WORD_HEX.test(s.decisionsRoot) &&
    isUint(s.tapeDigest, UINT256_END) &&
    isUint(s.decisionBits, UINT256_END) &&
    isUint(s.activeCount, UINT256_END)
  ) {
    const input =
      STATE_TAG.slice(2) +
      word(s.prevRoot) +
      word(s.nonce) +
      word(s.policyId) +
      word(s.methodId) +
      s.decisionsRoot.slice(2) +
      word(s.tapeDigest) +
      word(s.decisionBits) +
      word(s.activeCount);
    return fieldOf(hex(keccakEach(Buffer.from(input, "hex"), 9 * 32)));
  }
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
