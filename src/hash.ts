/**
 * Poseidon (circomlib parameters) and the project's one sponge construction.
 *
 * spongeDigest(tag, words):
 *   h = Poseidon2(tag, words.length)
 *   for each chunk of 15 words (the last one zero-padded): h = Poseidon16(h, chunk[0..14])
 *   return h
 * The length is bound in the first state; the tag separates uses (tape digest, method ID, ...).
 * circuits/lib/sponge.circom implements the same for a fixed length.
 *
 * Backends: the native addon build/native/poseidon.node (native/poseidon, built by `circuits:build`
 * through src/build/native.ts) when it loads and passes a known-answer check, else poseidon-lite
 * (pure BigInt, some 30 times slower). Both compute the same values; poseidonBackend() says which one
 * is in use. ZKLA_NATIVE_HASH=0 in the environment forces poseidon-lite. The addon also provides the
 * keccak256 that src/anchor/state.ts uses (nativeHash()).
 */
import path from "node:path";
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon3 } from "poseidon-lite/poseidon3";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { poseidon5 } from "poseidon-lite/poseidon5";
import { poseidon16 } from "poseidon-lite/poseidon16";
import { assertFieldElement, isFieldElement } from "./field";
import { REPO_ROOT } from "./paths";

export const SPONGE_RATE = 15;

/** The native hash addon src/build/native.ts builds (build/ is git-ignored). */
export const NATIVE_HASH_FILE = path.join(REPO_ROOT, "build", "native", "poseidon.node");

/** What build/native/poseidon.node exports (native/poseidon/addon.c). Inputs must be field elements. */
export interface NativeHash {
  /** ZKLA_NATIVE_HASH_VERSION of native/poseidon/addon.c. */
  version: number;
  poseidon(...inputs: bigint[]): bigint;
  keccak256(data: Uint8Array): Buffer;
  /** keccak256 of each consecutive `size`-byte chunk of `data` (length a multiple of size), concatenated. */
  keccak256Each(data: Uint8Array, size: number): Buffer;
}

export type PoseidonBackend = "native" | "poseidon-lite";

const byArity: Record<number, (inputs: bigint[]) => bigint> = {
  2: poseidon2,
  3: poseidon3,
  4: poseidon4,
  5: poseidon5,
  16: poseidon16,
};

/** The addon version this file expects (native/poseidon/addon.c ZKLA_NATIVE_HASH_VERSION). */
const NATIVE_VERSION = 1;
/** Known answers the addon must give before it is used: poseidon-lite's poseidon2([1, 2]), poseidon16([1..16]), keccak256(""). */
const KNOWN_ANSWERS = {
  poseidon2: 7853200120776062878684798364095072458815029376092732009249414926327459813530n,
  poseidon16: 9989051620750914585850546081941653841776809718687451684622678807385399211877n,
  keccak256: "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
};

let native: NativeHash | null | undefined;
let nativeProblem: string | undefined;

/**
 * Loads an addon file and checks its version and known answers: the addon, or null and why not.
 * Used for NATIVE_HASH_FILE below and by src/build/native.ts on a fresh build.
 */
export function loadNativeHash(file: string): { addon: NativeHash | null; problem?: string } {
  try {
    const mod = { exports: {} as NativeHash };
    process.dlopen(mod, file);
    const addon = mod.exports;
    if (addon.version !== NATIVE_VERSION) {
      return {
        addon: null,
        problem: `${file} is version ${addon.version}, not ${NATIVE_VERSION}: rebuild it (npx hardhat circuits:build)`,
      };
    }
    const sixteen = Array.from({ length: 16 }, (_, i) => BigInt(i + 1));
    if (
      addon.poseidon(1n, 2n) !== KNOWN_ANSWERS.poseidon2 ||
      addon.poseidon(...sixteen) !== KNOWN_ANSWERS.poseidon16 ||
      addon.keccak256Each(new Uint8Array(0), 1).length !== 0 ||
      addon.keccak256(new Uint8Array(0)).toString("hex") !== KNOWN_ANSWERS.keccak256
    ) {
      return { addon: null, problem: `${file} failed its known-answer check` };
    }
    return { addon };
  } catch (err) {
    return { addon: null, problem: `${file} did not load: ${(err as Error).message.split("\n")[0]}` };
  }
}

function loadNative(): NativeHash | null {
  if (process.env.ZKLA_NATIVE_HASH === "0") {
    nativeProblem = "disabled by ZKLA_NATIVE_HASH=0";
    return null;
  }
  const { addon, problem } = loadNativeHash(NATIVE_HASH_FILE);
  nativeProblem = problem;
  return addon;
}

/** The native addon, loaded on first use (once), or null when it is absent or unusable. */
export function nativeHash(): NativeHash | null {
  if (native === undefined) native = loadNative();
  return native;
}

/** Which implementation poseidon() uses in this process. */
export function poseidonBackend(): PoseidonBackend {
  return nativeHash() ? "native" : "poseidon-lite";
}

/** Why the native addon is not used (undefined when it is). */
export function nativeHashProblem(): string | undefined {
  nativeHash();
  return nativeProblem;
}

/** circomlib Poseidon(n) for the arities this project uses (2, 3, 4, 5, 16). */
export function poseidon(inputs: bigint[]): bigint {
  const fn = byArity[inputs.length];
  if (!fn) throw new RangeError(`poseidon arity ${inputs.length} is not used by this project`);
  let bigints = true;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (!isFieldElement(x)) assertFieldElement(x, `poseidon input ${i}`);
    // Untyped callers' numbers and numeric strings pass the range check; poseidon-lite converts them.
    if (typeof x !== "bigint") bigints = false;
  }
  const addon = bigints ? nativeHash() : null;
  return addon ? addon.poseidon(...inputs) : fn(inputs);
}

/** Number of Poseidon16 absorptions for `length` words. */
export function spongeChunks(length: number): number {
  return Math.ceil(length / SPONGE_RATE);
}

/** Domain-tagged, length-binding Poseidon sponge over field elements (see file header). */
export function spongeDigest(tag: bigint, words: readonly bigint[]): bigint {
  let h = poseidon([tag, BigInt(words.length)]);
  const block = new Array<bigint>(SPONGE_RATE + 1);
  for (let c = 0; c < spongeChunks(words.length); c++) {
    block[0] = h;
    for (let j = 0; j < SPONGE_RATE; j++) {
      const i = c * SPONGE_RATE + j;
      block[1 + j] = i < words.length ? words[i] : 0n;
    }
    h = poseidon(block);
  }
  return h;
}
