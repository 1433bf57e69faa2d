/**
 * PLONK proofs of the policy circuit with snarkjs, from the build artifacts of
 * circuitPaths("policy", profile) (build/<profile>/policy/...).
 * These functions never terminate snarkjs's curve workers: call terminateCurves() (src/snark.ts)
 * when the process is done proving and verifying.
 */
import fs from "node:fs";
import { SNARK_SCALAR_FIELD } from "../field";
import { circuitPaths, type CircuitPaths, type Profile } from "../paths";
import { PolicyInputError } from "./errors";
import { policyParams, type PolicyParams } from "./params";
import { evaluatePolicy, policyInput, policyPublicSignals, type Application } from "./reference";

/** A snarkjs PLONK proof (bn128): G1 points in projective form [x, y, "1"] and six evaluations. */
export interface PlonkProof {
  A: string[];
  B: string[];
  C: string[];
  Z: string[];
  T1: string[];
  T2: string[];
  T3: string[];
  Wxi: string[];
  Wxiw: string[];
  eval_a: string;
  eval_b: string;
  eval_c: string;
  eval_s1: string;
  eval_s2: string;
  eval_zw: string;
  protocol: string;
  curve: string;
}

interface SnarkjsPlonk {
  plonk: {
    fullProve(input: unknown, wasm: string, zkey: string): Promise<{ proof: PlonkProof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: string[], proof: PlonkProof): Promise<boolean>;
  };
}
// snarkjs ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs") as SnarkjsPlonk;

export interface PolicyProofOptions {
  /** Build profile whose artifacts and registry parameters are used. */
  profile: Profile;
  /** Override the parameters (default: policyParams(profile)); must match the artifacts. */
  params?: PolicyParams;
  /** Override the artifact paths (default: circuitPaths("policy", profile)). */
  paths?: Pick<CircuitPaths, "wasm" | "zkey" | "vkey">;
}

export interface PolicyProof {
  proof: PlonkProof;
  /** [tapeDigest, decisionBits, activeCount, commitments[0..N-1], threshold]. */
  publicSignals: bigint[];
}

function artifact(file: string, what: string, profile: Profile): string {
  if (!fs.existsSync(file)) {
    throw new Error(
      `policy ${what} not found at ${file}: build the circuits first (npx hardhat circuits:build --profile ${profile})`,
    );
  }
  return file;
}

/** Proves that `batch` was decided under `threshold` (validates the batch first; see evaluatePolicy). */
export async function provePolicy(
  batch: readonly Application[],
  threshold: bigint,
  options: PolicyProofOptions,
): Promise<PolicyProof> {
  const params = options.params ?? policyParams(options.profile);
  const paths = options.paths ?? circuitPaths("policy", options.profile);
  const input = policyInput(batch, threshold, params);
  const expected = policyPublicSignals(evaluatePolicy(batch, threshold, params), BigInt(input.threshold));
  const { proof, publicSignals } = await snarkjs.plonk.fullProve(
    input,
    artifact(paths.wasm, "witness wasm", options.profile),
    artifact(paths.zkey, "proving key", options.profile),
  );
  const signals = publicSignals.map((s) => BigInt(s));
  // The circuit and its reference must agree; a mismatch means stale artifacts or a bug, never a valid batch.
  if (signals.length !== expected.length || signals.some((s, i) => s !== expected[i])) {
    throw new Error(
      `policy circuit outputs differ from the TypeScript reference (stale build artifacts for profile "${options.profile}"?): ` +
        `circuit [${signals.join(", ")}] vs reference [${expected.join(", ")}]`,
    );
  }
  return { proof, publicSignals: signals };
}

/**
 * Verifies a policy proof with the profile's verification key. Returns false (never throws) for a
 * proof that does not verify, including any public signal outside [0, r) or a wrong signal count.
 */
export async function verifyPolicy(
  proof: PlonkProof,
  publicSignals: readonly bigint[],
  options: Pick<PolicyProofOptions, "profile" | "paths">,
): Promise<boolean> {
  const vkeyFile = artifact(
    (options.paths ?? circuitPaths("policy", options.profile)).vkey,
    "verification key",
    options.profile,
  );
  const vkey = JSON.parse(fs.readFileSync(vkeyFile, "utf8")) as { nPublic: number; protocol: string };
  if (vkey.protocol !== "plonk") throw new Error(`${vkeyFile} is a ${vkey.protocol} key, expected plonk`);
  if (publicSignals.length !== vkey.nPublic) return false;
  if (publicSignals.some((s) => typeof s !== "bigint" || s < 0n || s >= SNARK_SCALAR_FIELD)) return false;
  try {
    return await snarkjs.plonk.verify(vkey, publicSignals.map(String), proof);
  } catch {
    return false; // malformed proof object
  }
}

const PROOF_POINTS = ["A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw"] as const;
const PROOF_EVALS = ["eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw"] as const;

/**
 * The 24 words the generated PlonkVerifier's verifyProof(uint256[24] _proof, uint256[4+N] _pubSignals)
 * takes, in its order (as snarkjs's exportSolidityCallData): A, B, C, Z, T1, T2, T3, Wxi, Wxiw as
 * affine (x, y), then eval_a, eval_b, eval_c, eval_s1, eval_s2, eval_zw.
 */
export function encodePolicyProof(proof: PlonkProof): bigint[] {
  const words: bigint[] = [];
  for (const key of PROOF_POINTS) {
    const p = proof[key];
    if (!Array.isArray(p) || p.length < 2)
      throw new PolicyInputError(`proof.${key}`, `proof.${key} must be a G1 point [x, y, z]`);
    if (p.length > 2 && BigInt(p[2]) !== 1n) {
      throw new PolicyInputError(
        `proof.${key}`,
        `proof.${key} must be in affine form (z = 1) as snarkjs outputs it, got z = ${p[2]}`,
      );
    }
    words.push(BigInt(p[0]), BigInt(p[1]));
  }
  for (const key of PROOF_EVALS) words.push(BigInt(proof[key]));
  return words;
}
