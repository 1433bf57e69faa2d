/**
 * Poseidon (circomlib parameters, via poseidon-lite) and the project's one sponge construction.
 *
 * spongeDigest(tag, words):
 *   h = Poseidon2(tag, words.length)
 *   for each chunk of 15 words (the last one zero-padded): h = Poseidon16(h, chunk[0..14])
 *   return h
 * The length is bound in the first state; the tag separates uses (tape digest, method ID, ...).
 * circuits/lib/sponge.circom implements the same for a fixed length.
 */
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon3 } from "poseidon-lite/poseidon3";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { poseidon5 } from "poseidon-lite/poseidon5";
import { poseidon16 } from "poseidon-lite/poseidon16";
import { assertFieldElement } from "./field";

export const SPONGE_RATE = 15;

const byArity: Record<number, (inputs: bigint[]) => bigint> = {
  2: poseidon2,
  3: poseidon3,
  4: poseidon4,
  5: poseidon5,
  16: poseidon16,
};

/** circomlib Poseidon(n) for the arities this project uses (2, 3, 4, 5, 16). */
export function poseidon(inputs: bigint[]): bigint {
  const fn = byArity[inputs.length];
  if (!fn) throw new RangeError(`poseidon arity ${inputs.length} is not used by this project`);
  for (const [i, x] of inputs.entries()) assertFieldElement(x, `poseidon input ${i}`);
  return fn(inputs);
}

/** Number of Poseidon16 absorptions for `length` words. */
export function spongeChunks(length: number): number {
  return Math.ceil(length / SPONGE_RATE);
}

/** Domain-tagged, length-binding Poseidon sponge over field elements (see file header). */
export function spongeDigest(tag: bigint, words: readonly bigint[]): bigint {
  let h = poseidon([tag, BigInt(words.length)]);
  for (let c = 0; c < spongeChunks(words.length); c++) {
    const chunk = words.slice(c * SPONGE_RATE, (c + 1) * SPONGE_RATE);
    while (chunk.length < SPONGE_RATE) chunk.push(0n);
    h = poseidon([h, ...chunk]);
  }
  return h;
}
