/**
 * Tapes and the batch tape.
 *
 * A tape is the zkVM's private input: a sequence of 32-bit words (like RISC Zero's u32 words) that
 * a guest READs in order. Its public identity is tapeDigest(words, blinding), a hiding digest:
 *
 *   h = Poseidon(2)(TAG_TAPE, L)                      L = number of words
 *   absorb the E = 1 + ceil(L / 7) elements [blinding, p_0, p_1, ...] at rate min(E, 15)
 *   (src/hash.ts spongeAbsorb), where
 *   p_k = sum_{j < 7} words[7k + j] * 2^(32 j)       (the last element zero-padded)
 *
 * Packing seven 32-bit words per field element makes a tape word cost about 1/7 of a sponge word in
 * both circuits; it is injective because every word is below 2^32, which both circuits prove (the
 * zkVM range-checks its tape, the policy circuit its scores). Up to 15 elements (a tape of up to 98
 * words) the digest is one Poseidon(E + 1) call: the narrowest permutation that holds them, which
 * in PLONK costs far less than Poseidon(16) for a short tape (docs/tape.md). The blinding is a field element
 * outside the tape (the guest cannot read it): secret and random when the digest must hide the tape.
 *
 * The batch tape is the one word order of a batch's private data, shared by the policy circuit
 * (which digests it), the zkVM (which reads it) and the anchor (which passes the same tapeDigest to
 * both verifiers). Layout for batch size N (length N + 1):
 *
 *   index 0              activeCount
 *   index 1 .. N         score[0..N-1]
 *
 * with blinding batchSalt. Active slots are the prefix 0..activeCount-1; inactive slots hold score
 * 0. The tape carries what the zkVM's guest needs (the count and the scores): the policy circuit
 * proves that the same scores are those of the applications behind the public commitments, so
 * applicantIds and the per-application salts need not be on it. batchSalt = spongeDigest(
 * TAG_BATCH_SALT, the active applications' salts) keeps the public digest hiding (scores are small
 * integers and could be guessed otherwise), and is derived rather than drawn so that a batch's tape
 * is the same on every retry and every machine. See docs/tape.md.
 */
import { assertFieldElement } from "../field";
import { poseidon, SPONGE_RATE, spongeAbsorb, spongeDigest } from "../hash";
import { TAG_BATCH_SALT, TAG_TAPE } from "../tags";

/** One application in a batch slot. All values are field elements; score is range-checked by the policy. */
export interface Application {
  applicantId: bigint;
  score: bigint;
  salt: bigint;
}

/** Tape words are below 2^TAPE_WORD_BITS. */
export const TAPE_WORD_BITS = 32;
/** Tape words packed into one field element before hashing (7 * 32 = 224 bits < 253). */
export const TAPE_WORDS_PER_ELEMENT = 7;
const WORD_LIMIT = 1n << BigInt(TAPE_WORD_BITS);

/** applicantIds are integers in [1, APPLICANT_ID_LIMIT): 64 bits, the width of the policy circuit's id order check. */
export const APPLICANT_ID_LIMIT = 1n << 64n;

/** Sort order of a batch's slots: applicantId ascending (the policy circuit requires it). */
export function byApplicantId(a: { applicantId: bigint }, b: { applicantId: bigint }): number {
  return a.applicantId < b.applicantId ? -1 : a.applicantId > b.applicantId ? 1 : 0;
}

/** Tape length for batch size N. */
export function tapeLength(batchSize: number): number {
  return batchSize + 1;
}

/** Batch size N of a tape of `length` words (the inverse of tapeLength; undefined when there is none). */
export function tapeBatchSize(length: number): number | undefined {
  return Number.isInteger(length) && length >= 2 ? length - 1 : undefined;
}

/** The batch tape's blinding: spongeDigest(TAG_BATCH_SALT, the salts of the batch's applications, in slot order). */
export function batchSalt(batch: readonly Application[]): bigint {
  return spongeDigest(
    TAG_BATCH_SALT,
    batch.map((app) => app.salt),
  );
}

/** Throws a RangeError naming `what` unless `word` is a tape word: an integer in [0, 2^32). */
export function assertTapeWord(word: bigint, what: string): void {
  if (typeof word !== "bigint" || word < 0n || word >= WORD_LIMIT)
    throw new RangeError(`${what} must be a 32-bit tape word (0 <= x < 2^32), got ${String(word)}`);
}

/** The batch tape (see file header). Throws when there are more applications than slots (scores are checked where they are used: src/policy, tapeDigest, the zkVM). */
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
  return words;
}

/** The words packed TAPE_WORDS_PER_ELEMENT per field element, little-endian (see file header). */
export function packTape(words: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < words.length; k += TAPE_WORDS_PER_ELEMENT) {
    let packed = 0n;
    for (let j = Math.min(TAPE_WORDS_PER_ELEMENT, words.length - k) - 1; j >= 0; j--) {
      packed = (packed << BigInt(TAPE_WORD_BITS)) | words[k + j];
    }
    out.push(packed);
  }
  return out;
}

/**
 * tapeDigest(words, blinding) (see file header). Throws a RangeError when a word is not a 32-bit
 * tape word or the blinding is not a field element.
 */
export function tapeDigest(words: readonly bigint[], blinding: bigint): bigint {
  words.forEach((w, i) => assertTapeWord(w, `tape[${i}]`));
  assertFieldElement(blinding, "tape blinding");
  const elements = [blinding, ...packTape(words)];
  return spongeAbsorb(poseidon([TAG_TAPE, BigInt(words.length)]), elements, Math.min(elements.length, SPONGE_RATE));
}

/** The batch tape's digest: tapeDigest(batchTape(batch, N), batchSalt(batch)). */
export function batchTapeDigest(batch: readonly Application[], batchSize: number): bigint {
  return tapeDigest(batchTape(batch, batchSize), batchSalt(batch));
}
