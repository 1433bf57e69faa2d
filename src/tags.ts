/**
 * Domain tags: ASCII strings encoded as field elements (src/field.ts asciiTag). Each hash in the
 * protocol starts with its own tag so that a value of one kind can never be read as another.
 * The circuits hard-code the same numbers (circuits/lib/tags.circom); test/tags.test.ts checks they agree.
 */
import { asciiTag } from "./field";

export const TAG_TAPE = asciiTag("zkla.tape.v1");
export const TAG_COMMITMENT = asciiTag("zkla.commitment.v1");
export const TAG_METHOD = asciiTag("zkla.method.v1");
/** The zkVM's tape-read fingerprint challenge (circuits/zkvm/zkvm.circom ReadsChallenge). */
export const TAG_READS = asciiTag("zkla.reads.v1");
