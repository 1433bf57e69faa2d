/**
 * The batch tape: the one word order of a batch's private data, shared by the policy circuit
 * (which digests it), the zkVM (which reads it as its private input tape) and the anchor (which
 * passes the same tapeDigest to both verifiers). Layout for batch size N (length 1 + 3N):
 *
 *   index 0              activeCount
 *   index 1 .. N         score[0..N-1]
 *   index N+1 .. 2N      applicantId[0..N-1]
 *   index 2N+1 .. 3N     salt[0..N-1]
 *
 * Active slots are the prefix 0..activeCount-1; inactive slots hold zeros. Active applicantIds are
 * 64-bit (1 <= id < 2^64) and strictly increasing in slot order (the policy circuit proves the order,
 * which makes them distinct; the planner sorts each batch). Scores come first so
 * a guest program reads activeCount and the scores without reading ids or salts; the salts keep
 * the public digest hiding. See docs/tape.md.
 */
import { spongeDigest } from "../hash";
import { TAG_TAPE } from "../tags";

/** One application in a batch slot. All values are field elements; score is range-checked by the policy. */
export interface Application {
  applicantId: bigint;
  score: bigint;
  salt: bigint;
}

/** applicantIds are integers in [1, APPLICANT_ID_LIMIT): 64 bits, the width of the policy circuit's id order check. */
export const APPLICANT_ID_LIMIT = 1n << 64n;

/** Sort order of a batch's slots: applicantId ascending (the policy circuit requires it). */
export function byApplicantId(a: { applicantId: bigint }, b: { applicantId: bigint }): number {
  return a.applicantId < b.applicantId ? -1 : a.applicantId > b.applicantId ? 1 : 0;
}

/** Tape length for batch size N. */
export function tapeLength(batchSize: number): number {
  return 1 + 3 * batchSize;
}

/** The batch tape (see file header). Throws when there are more applications than slots. */
export function batchTape(batch: readonly Application[], batchSize: number): bigint[] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  if (batch.length > batchSize) {
    throw new RangeError(`batch has ${batch.length} applications but the policy's batch size is ${batchSize}`);
  }
  const words = new Array<bigint>(tapeLength(batchSize)).fill(0n);
  words[0] = BigInt(batch.length);
  batch.forEach((app, i) => {
    words[1 + i] = app.score;
    words[1 + batchSize + i] = app.applicantId;
    words[1 + 2 * batchSize + i] = app.salt;
  });
  return words;
}

/** tapeDigest = spongeDigest(TAG_TAPE, words): domain-tagged, binds the length (src/hash.ts). */
export function tapeDigest(words: readonly bigint[]): bigint {
  return spongeDigest(TAG_TAPE, words);
}
