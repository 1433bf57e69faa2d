/**
 * PLONK proofs of the policy circuit with snarkjs, from the build artifacts of
 * circuitPaths("policy", profile) (build/<profile>/policy/...).
 * These functions never terminate snarkjs's curve workers: call terminateCurves() (src/snark.ts)
 * when the process is done proving and verifying.
 */
import { buildArtifact, proveChecked, verifyWithKey } from "../snark";
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
  return proveChecked<PlonkProof>({
    system: "plonk",
    circuit: "policy",
    profile: options.profile,
    paths,
    input,
    expected,
    reference: "TypeScript reference",
  });
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
  const vkeyFile = (options.paths ?? circuitPaths("policy", options.profile)).vkey;
  return verifyWithKey(
    "plonk",
    buildArtifact(vkeyFile, "policy", "verification key", options.profile),
    publicSignals,
    proof,
  );
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

/** Inverse of encodePolicyProof: the snarkjs proof object behind 24 calldata words (for re-verification). */
export function decodePolicyProof(words: readonly bigint[]): PlonkProof {
  if (words.length !== 2 * PROOF_POINTS.length + PROOF_EVALS.length)
    throw new PolicyInputError("proof", `a PLONK proof has 24 words, got ${words.length}`);
  const proof: Record<string, unknown> = { protocol: "plonk", curve: "bn128" };
  PROOF_POINTS.forEach((key, i) => (proof[key] = [words[2 * i].toString(), words[2 * i + 1].toString(), "1"]));
  PROOF_EVALS.forEach((key, i) => (proof[key] = words[2 * PROOF_POINTS.length + i].toString()));
  return proof as unknown as PlonkProof;
}
