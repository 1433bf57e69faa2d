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
import { assertFieldElement, isFieldElement, SNARK_SCALAR_FIELD } from "./field";
import { REPO_ROOT } from "./paths";

export const SPONGE_RATE = 15;

/** The native hash addon src/build/native.ts builds (build/ is git-ignored). */
export const NATIVE_HASH_FILE = path.join(REPO_ROOT, "build", "native", "poseidon.node");

/** What build/native/poseidon.node exports (native/poseidon/addon.c). Inputs must be field elements. */
export interface NativeHash {
  /** ZKLA_NATIVE_HASH_VERSION of native/poseidon/addon.c. */
  version: number;
  /** The input counts poseidon and poseidonEx accept natively (others are hashed by poseidon-lite). */
  arities: number[];
  poseidon(...inputs: bigint[]): bigint;
  /** circomlib PoseidonEx(n, 1) with the given initial state (same arities as poseidon). */
  poseidonEx(initialState: bigint, ...inputs: bigint[]): bigint;
  keccak256(data: Uint8Array): Buffer;
  /** keccak256 of each consecutive `size`-byte chunk of `data` (length a multiple of size), concatenated. */
  keccak256Each(data: Uint8Array, size: number): Buffer;
}

export type PoseidonBackend = "native" | "poseidon-lite";

const liteByArity = new Map<number, (inputs: bigint[]) => bigint>();

/**
 * poseidon-lite's Poseidon(n), 1 <= n <= 16 (circomlib's arities; the caller checks n), loaded on
 * first use: decoding all sixteen constant sets would add about 150 ms to every process start.
 */
function litePoseidon(n: number): (inputs: bigint[]) => bigint {
  let fn = liteByArity.get(n);
  if (!fn) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fn = (require(`poseidon-lite/poseidon${n}`) as Record<string, (x: bigint[]) => bigint>)[`poseidon${n}`];
    liteByArity.set(n, fn);
  }
  return fn;
}

/** The addon version this file expects (native/poseidon/addon.c ZKLA_NATIVE_HASH_VERSION). */
const NATIVE_VERSION = 2;
/**
 * Known answers the addon must give before it is used: poseidon-lite's poseidon2([1, 2]),
 * poseidon16([1..16]), keccak256(""), and poseidonWidth2's fallback for (1, 2) (circomlib
 * PoseidonEx(1, 1) with initialState 1 and input 2; test/hash checks it against the circuit).
 */
const KNOWN_ANSWERS = {
  poseidonEx2: 15200013158284938856776514731248671587054960823657928946723238994529388700825n,
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
      !Array.isArray(addon.arities) ||
      ![1, 2, 16].every((n) => addon.arities.includes(n)) ||
      addon.poseidon(1n, 2n) !== KNOWN_ANSWERS.poseidon2 ||
      addon.poseidon(...sixteen) !== KNOWN_ANSWERS.poseidon16 ||
      addon.poseidonEx(1n, 2n) !== KNOWN_ANSWERS.poseidonEx2 ||
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

/** circomlib Poseidon(n) for its arities 1 to 16. */
export function poseidon(inputs: bigint[]): bigint {
  if (inputs.length < 1 || inputs.length > 16)
    throw new RangeError(`poseidon arity ${inputs.length} is not supported (circomlib Poseidon takes 1 to 16 inputs)`);
  let bigints = true;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (!isFieldElement(x)) assertFieldElement(x, `poseidon input ${i}`);
    // Untyped callers' numbers and numeric strings pass the range check; poseidon-lite converts them.
    if (typeof x !== "bigint") bigints = false;
  }
  const addon = bigints ? nativeHash() : null;
  return addon && addon.arities.includes(inputs.length)
    ? addon.poseidon(...inputs)
    : litePoseidon(inputs.length)(inputs);
}

/** Domain-tagged, length-binding Poseidon sponge over field elements (see file header). */
export function spongeDigest(tag: bigint, words: readonly bigint[]): bigint {
  return spongeAbsorb(poseidon([tag, BigInt(words.length)]), words);
}

/**
 * The absorbing part of the sponge: from the state `initial`, h = Poseidon(rate + 1)(h, next `rate`
 * elements, zero-padded) per chunk (circuits/lib/sponge.circom Absorb; rate 1..15, default 15). The
 * caller's `initial` must bind the domain and the length, as spongeDigest's and src/tape
 * tapeDigest's do.
 */
export function spongeAbsorb(initial: bigint, elements: readonly bigint[], rate = SPONGE_RATE): bigint {
  if (!Number.isInteger(rate) || rate < 1 || rate > SPONGE_RATE)
    throw new RangeError(`sponge rate must be an integer in 1..${SPONGE_RATE}, got ${rate}`);
  let h = initial;
  const block = new Array<bigint>(rate + 1);
  for (let c = 0; c < Math.ceil(elements.length / rate); c++) {
    block[0] = h;
    for (let j = 0; j < rate; j++) {
      const i = c * rate + j;
      block[1 + j] = i < elements.length ? elements[i] : 0n;
    }
    h = poseidon(block);
  }
  return h;
}

let width2: { C: bigint[]; M: bigint[][] } | undefined;

/**
 * circomlib PoseidonEx(1, 1): the width-2 Poseidon permutation of [initialState, input], first
 * element (8 full rounds, 56 partial). With initialState 0 it is circomlib Poseidon(1). Native when
 * the addon is loaded; otherwise poseidonWidth2Fallback, with poseidon-lite's constants (its width-2
 * file, which its package exports do not list, so it is loaded by path). test/hash checks both
 * against poseidon-lite's poseidon1 and against the circuit.
 */
export function poseidonWidth2(initialState: bigint, input: bigint): bigint {
  assertFieldElement(initialState, "initialState");
  assertFieldElement(input, "input");
  const addon = nativeHash();
  if (addon) return addon.poseidonEx(initialState, input);
  return poseidonWidth2Fallback(initialState, input);
}

/** poseidonWidth2 in BigInt (poseidon-lite's algorithm with a free initial state): the fallback and its test oracle. */
export function poseidonWidth2Fallback(initialState: bigint, input: bigint): bigint {
  if (!width2) {
    const dir = path.dirname(require.resolve("poseidon-lite"));
    /* eslint-disable @typescript-eslint/no-require-imports */
    const raw = (require(path.join(dir, "constants", "1.js")) as { default: { C: string[]; M: string[][] } }).default;
    const unstringify = (require(path.join(dir, "poseidon", "unstringify.js")) as { default: (o: unknown) => unknown })
      .default;
    /* eslint-enable @typescript-eslint/no-require-imports */
    width2 = unstringify(raw) as { C: bigint[]; M: bigint[][] };
  }
  const { C, M } = width2;
  const p = SNARK_SCALAR_FIELD;
  const pow5 = (v: bigint): bigint => {
    const sq = (v * v) % p;
    return (((sq * sq) % p) * v) % p;
  };
  const FULL = 8;
  const PARTIAL = 56;
  let s0 = initialState;
  let s1 = input;
  for (let r = 0; r < FULL + PARTIAL; r++) {
    s0 = (s0 + C[2 * r]) % p;
    s1 = (s1 + C[2 * r + 1]) % p;
    s0 = pow5(s0);
    if (r < FULL / 2 || r >= FULL / 2 + PARTIAL) s1 = pow5(s1);
    const n0 = (M[0][0] * s0 + M[0][1] * s1) % p;
    const n1 = (M[1][0] * s0 + M[1][1] * s1) % p;
    s0 = n0;
    s1 = n1;
  }
  return s0;
}
