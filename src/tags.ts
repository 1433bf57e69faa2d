/**
 * Domain tags: ASCII strings encoded as field elements (src/field.ts asciiTag). Each hash in the
 * protocol starts with its own tag so that a value of one kind can never be read as another.
 * The circuits hard-code the same numbers (circuits/lib/tags.circom); test/tags.test.ts checks they agree.
 */
import { asciiTag } from "./field";

/** A tape's digest (src/tape tapeDigest); v3: 32-bit words packed 7 per element, with a blinding element. */
export const TAG_TAPE = asciiTag("zkla.tape.v3");
/** Per-application hiding commitment (src/policy commitment); v3: the width-2 permutation, salt as its initial state. */
export const TAG_COMMITMENT = asciiTag("zkla.commitment.v3");
export const TAG_METHOD = asciiTag("zkla.method.v1");
/** The zkVM's tape-read fingerprint challenge (circuits/zkvm/zkvm.circom ReadsChallenge). */
export const TAG_READS = asciiTag("zkla.reads.v1");
/** The batch salt derived from a batch's application salts (src/tape batchSalt); off-circuit only. */
export const TAG_BATCH_SALT = asciiTag("zkla.batchsalt.v1");
