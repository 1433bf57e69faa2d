import { assertFieldElement } from "../field";
import { spongeDigest } from "../hash";
import { TAG_METHOD } from "../tags";

/**
 * methodId(program) = spongeDigest(TAG_METHOD, program words): Poseidon over the program, binding its
 * length, independent of the zkVM size P (the circuit picks the sponge state after ceil(len/15) chunks).
 */
export function methodId(program: readonly bigint[]): bigint {
  if (program.length === 0) throw new RangeError("a program has at least one word");
  program.forEach((w, i) => assertFieldElement(w, `program[${i}]`));
  return spongeDigest(TAG_METHOD, program);
}
