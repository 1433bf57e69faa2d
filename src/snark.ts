import fs from "node:fs";
import path from "node:path";
import { SNARK_SCALAR_FIELD } from "./field";
import type { CircuitPaths } from "./paths";

/**
 * snarkjs keeps bn128 curve worker threads alive in a global cache; a process that proved or
 * verified anything must terminate them or it never exits (field notes; MACI hang).
 */
export async function terminateCurves(): Promise<void> {
  const g = globalThis as unknown as Record<string, { terminate?: () => Promise<void> } | undefined>;
  for (const key of ["curve_bn128", "curve_bls12381"]) {
    const curve = g[key];
    if (curve?.terminate) {
      await curve.terminate();
      delete g[key];
    }
  }
}

/**
 * Marker of the project's snarkjs patch (patches/snarkjs+0.7.6.patch, applied by npm install's
 * postinstall; patches/README.md). It changes two things in the PLONK prover's quotient (round 3),
 * each marked once: the public-input polynomial is evaluated with one ifft and one fft instead of
 * nPublic multiply-adds at each of its 4n points, and MulZ's constants are computed once per field
 * instead of three times per point. The proofs are the same; the policy prover at N = 88 takes about
 * half the time and memory.
 */
const SNARKJS_PLONK_PATCH_MARKER = "zk-loan-anchor patch (patches/README.md)";

/** Whether the installed snarkjs (library and CLI bundles) carries both changes of the PLONK prover patch. */
export function snarkjsPlonkPatched(): boolean {
  const main = require.resolve("snarkjs");
  return [main, path.join(path.dirname(main), "cli.cjs")].every(
    (file) => fs.readFileSync(file, "utf8").split(SNARKJS_PLONK_PATCH_MARKER).length - 1 === 2,
  );
}

/** The installed snarkjs version (its package.json is not in the package's exports). */
export function snarkjsVersion(): string {
  const file = path.join(path.dirname(require.resolve("snarkjs")), "..", "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

// snarkjs ships no type declarations; this is the part both provers use.
interface SnarkjsProtocol {
  fullProve(input: unknown, wasm: string, zkey: string): Promise<{ proof: unknown; publicSignals: string[] }>;
  verify(vkey: unknown, publicSignals: string[], proof: unknown): Promise<boolean>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs") as Record<"plonk" | "groth16", SnarkjsProtocol>;

export type ProofSystem = "plonk" | "groth16";

/** `file` if it exists; otherwise an error telling the user to build the circuits of `profile`. */
export function buildArtifact(file: string, circuit: string, what: string, profile: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${circuit} ${what} not found at ${file}: build the circuits first (npx hardhat circuits:build --profile ${profile})`,
    );
  }
  return file;
}

export interface ProveRequest {
  system: ProofSystem;
  circuit: string;
  profile: string;
  paths: Pick<CircuitPaths, "wasm" | "zkey">;
  input: unknown;
  /** Public signals the reference implementation expects; the proof must carry exactly these. */
  expected: readonly bigint[];
  /** Names the reference in the mismatch error ("TypeScript reference", "emulator"). */
  reference: string;
}

/**
 * Proves with snarkjs and checks the proof's public signals against the reference implementation:
 * a mismatch means stale build artifacts or a bug, never a valid statement.
 */
export async function proveChecked<P>(req: ProveRequest): Promise<{ proof: P; publicSignals: bigint[] }> {
  const { proof, publicSignals } = await snarkjs[req.system].fullProve(
    req.input,
    buildArtifact(req.paths.wasm, req.circuit, "witness wasm", req.profile),
    buildArtifact(req.paths.zkey, req.circuit, "proving key", req.profile),
  );
  const signals = publicSignals.map((s) => BigInt(s));
  if (signals.length !== req.expected.length || signals.some((s, i) => s !== req.expected[i])) {
    throw new Error(
      `${req.circuit} circuit public signals differ from the ${req.reference} (stale build artifacts for profile "${req.profile}"?): ` +
        `circuit [${signals.join(", ")}] vs ${req.reference} [${req.expected.join(", ")}]`,
    );
  }
  return { proof: proof as P, publicSignals: signals };
}

/**
 * Verifies with the verification key at `vkeyFile`. Returns false (never throws) for a proof that
 * does not verify, a public signal outside [0, r) (snarkjs would alias it), a wrong signal count or
 * a malformed proof object.
 */
export async function verifyWithKey(
  system: ProofSystem,
  vkeyFile: string,
  publicSignals: readonly bigint[],
  proof: unknown,
): Promise<boolean> {
  const vkey = JSON.parse(fs.readFileSync(vkeyFile, "utf8")) as { nPublic: number; protocol: string };
  if (vkey.protocol !== system) throw new Error(`${vkeyFile} is a ${vkey.protocol} key, expected ${system}`);
  return verifyWithVkey(system, vkey, publicSignals, proof);
}

/** verifyWithKey with the verification key as an object (e.g. from a key set). */
export async function verifyWithVkey(
  system: ProofSystem,
  vkey: { nPublic: number; protocol: string },
  publicSignals: readonly bigint[],
  proof: unknown,
): Promise<boolean> {
  if (vkey.protocol !== system) return false;
  if (publicSignals.length !== vkey.nPublic) return false;
  if (publicSignals.some((s) => typeof s !== "bigint" || s < 0n || s >= SNARK_SCALAR_FIELD)) return false;
  try {
    return await snarkjs[system].verify(vkey, publicSignals.map(String), proof);
  } catch {
    return false;
  }
}
