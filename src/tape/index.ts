/**
 * The batch tape: the one word order of a batch's private data, shared by the policy circuit
 * (which digests it), the zkVM (which reads it as its private input tape) and the anchor (which
 * passes the same tapeDigest to both verifiers). Layout for batch size N (length N + 2):
 *
 *   index 0              activeCount
 *   index 1 .. N         score[0..N-1]
 *   index N + 1          batchSalt
 *
 * Active slots are the prefix 0..activeCount-1; inactive slots hold score 0. The tape carries what
 * the zkVM's guest needs (the count and the scores) and one salt: the policy circuit proves that the
 * same scores are those of the applications behind the public commitments, so applicantIds and the
 * per-application salts need not be on the tape (each would cost the policy circuit about 330 PLONK
 * gates per slot to digest). batchSalt = spongeDigest(TAG_BATCH_SALT, the active applications' salts)
 * keeps the public digest hiding (scores are small integers and could be guessed otherwise), and is
 * derived rather than drawn so that a batch's tape is the same on every retry and every machine.
 * See docs/tape.md.
 */
import { spongeDigest } from "../hash";
import { TAG_BATCH_SALT, TAG_TAPE } from "../tags";

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
  return batchSize + 2;
}

/** Batch size N of a tape of `length` words (the inverse of tapeLength; undefined when there is none). */
export function tapeBatchSize(length: number): number | undefined {
  return Number.isInteger(length) && length >= 3 ? length - 2 : undefined;
}

/** The tape's salt: spongeDigest(TAG_BATCH_SALT, the salts of the batch's applications, in slot order). */
export function batchSalt(batch: readonly Application[]): bigint {
  return spongeDigest(
    TAG_BATCH_SALT,
    batch.map((app) => app.salt),
  );
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
  });
  words[1 + batchSize] = batchSalt(batch);
  return words;
}

/** tapeDigest = spongeDigest(TAG_TAPE, words): domain-tagged, binds the length (src/hash.ts). */
export function tapeDigest(words: readonly bigint[]): bigint {
  return spongeDigest(TAG_TAPE, words);
}
