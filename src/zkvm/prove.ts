/**
 * Groth16 proofs of zkVM runs with snarkjs, from the build artifacts of circuitPaths("zkvm", profile).
 * These functions never terminate snarkjs's curve workers: call terminateCurves() (src/snark.ts)
 * when the process is done proving and verifying.
 */
import { buildArtifact, proveChecked, verifyWithKey } from "../snark";
import { circuitPaths, type CircuitPaths, type Profile } from "../paths";
import { emulate, type InvalidReason, type ZkvmLimits } from "./emulator";
import { zkvmInput, zkvmPublicSignals } from "./input";
import { zkvmParams } from "./params";

/** A snarkjs Groth16 proof (bn128, projective coordinates as decimal strings). */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The program cannot be proven: the reference emulator says the run is invalid. */
export class ZkvmRunError extends Error {
  constructor(
    readonly reason: InvalidReason,
    readonly pc: number,
    readonly step: number,
  ) {
    super(`the zkVM run is invalid (${reason} at step ${step}, pc ${pc}); no proof exists for it`);
    this.name = "ZkvmRunError";
  }
}

export interface ZkvmProofOptions {
  profile: Profile;
  /** Override the sizes (default: zkvmParams(profile)); must match the artifacts. */
  limits?: ZkvmLimits;
  /** Override the artifact paths (default: circuitPaths("zkvm", profile)). */
  paths?: Pick<CircuitPaths, "wasm" | "zkey" | "vkey">;
}

export interface ZkvmProof {
  proof: Groth16Proof;
  /** [methodId, tapeDigest, params[0..K-1], journalLen, journal[0..J-1]]. */
  publicSignals: bigint[];
}

/**
 * Runs the program in the emulator (throws ZkvmRunError if invalid) and proves the run.
 * `tapeBlinding` (default 0: the digest does not hide the tape) is the tape digest's blinding.
 */
export async function proveZkvm(
  run: { program: readonly bigint[]; tape: readonly bigint[]; params: readonly bigint[]; tapeBlinding?: bigint },
  options: ZkvmProofOptions,
): Promise<ZkvmProof> {
  const limits = options.limits ?? zkvmParams(options.profile);
  const paths = options.paths ?? circuitPaths("zkvm", options.profile);
  const result = emulate(run.program, run.tape, run.params, limits);
  if (!result.ok) throw new ZkvmRunError(result.reason, result.pc, result.step);
  const input = zkvmInput(run.program, run.tape, run.params, limits, result, {}, run.tapeBlinding ?? 0n);
  const expected = zkvmPublicSignals(input);
  return proveChecked<Groth16Proof>({
    system: "groth16",
    circuit: "zkvm",
    profile: options.profile,
    paths,
    input,
    expected,
    reference: "emulator",
  });
}

/**
 * Verifies a zkVM proof with the profile's verification key. Returns false (never throws) for a
 * proof that does not verify, including a public signal outside [0, r) or a wrong signal count.
 */
export async function verifyZkvm(
  proof: Groth16Proof,
  publicSignals: readonly bigint[],
  options: Pick<ZkvmProofOptions, "profile" | "paths">,
): Promise<boolean> {
  const vkeyFile = (options.paths ?? circuitPaths("zkvm", options.profile)).vkey;
  return verifyWithKey(
    "groth16",
    buildArtifact(vkeyFile, "zkvm", "verification key", options.profile),
    publicSignals,
    proof,
  );
}

/**
 * The 8 proof words of the generated Groth16 verifier's verifyProof(uint[2] pA, uint[2][2] pB,
 * uint[2] pC, uint[n] pubSignals), flattened: pA.x, pA.y, pB.x.c1, pB.x.c0, pB.y.c1, pB.y.c0, pC.x, pC.y
 * (the G2 coordinates swapped as snarkjs's exportSolidityCallData does).
 */
export function encodeZkvmProof(proof: Groth16Proof): bigint[] {
  const { pi_a: a, pi_b: b, pi_c: c } = proof;
  const affine = (p: string[] | undefined, what: string) => {
    if (!Array.isArray(p) || p.length < 2) throw new TypeError(`proof.${what} must be a G1 point [x, y, z]`);
    if (p.length > 2 && BigInt(p[2]) !== 1n)
      throw new TypeError(`proof.${what} must be affine (z = 1) as snarkjs outputs it`);
  };
  affine(a, "pi_a");
  affine(c, "pi_c");
  if (!Array.isArray(b) || b.length < 2 || b.some((x, i) => i < 2 && (!Array.isArray(x) || x.length !== 2))) {
    throw new TypeError("proof.pi_b must be a G2 point [[x0, x1], [y0, y1], [1, 0]]");
  }
  if (b.length > 2 && (BigInt(b[2][0]) !== 1n || BigInt(b[2][1]) !== 0n))
    throw new TypeError("proof.pi_b must be affine (z = 1)");
  return [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]].map((s) => BigInt(s));
}

/** Inverse of encodeZkvmProof: the snarkjs proof object behind 8 calldata words (G2 limbs swapped back). */
export function decodeZkvmProof(words: readonly bigint[]): Groth16Proof {
  if (words.length !== 8) throw new TypeError(`a Groth16 proof has 8 words, got ${words.length}`);
  const w = words.map(String);
  return {
    pi_a: [w[0], w[1], "1"],
    pi_b: [
      [w[3], w[2]],
      [w[5], w[4]],
      ["1", "0"],
    ],
    pi_c: [w[6], w[7], "1"],
    protocol: "groth16",
    curve: "bn128",
  } as Groth16Proof;
}
