/**
 * Constraint counts read from a compiled .r1cs, and the powers of tau each proof system needs.
 */
import { F1Field, readR1cs } from "./snarkjs";

export interface R1csInfo {
  constraints: number;
  wires: number;
  publicInputs: number;
  outputs: number;
  privateInputs: number;
  labels: number;
  /** Number of PLONK gates snarkjs `plonk setup` will create (same algorithm, see plonkGateCount). */
  plonkGates: number;
}

type LinearCombination = Record<string, unknown>;

/** Number of non-constant terms of a linear combination (key "0" is the constant wire). */
function terms(lc: LinearCombination): number {
  let n = 0;
  for (const k of Object.keys(lc)) if (k !== "0") n++;
  return n;
}

function kind(lc: LinearCombination): "0" | "k" | "n" {
  if (terms(lc) > 0) return "n";
  return "0" in lc ? "k" : "0";
}

function unionTerms(a: LinearCombination, b: LinearCombination): number {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("0");
  return keys.size;
}

/**
 * PLONK gate count of an R1CS, mirroring snarkjs 0.7.6 plonk_setup.js processConstraints: one gate
 * per public signal; A*B=C with linear A, B, C gives one gate plus one addition gate per extra term
 * beyond 3 (sum form) or beyond 1 per side (product form). snarkjs compares coefficients with `== 0n`
 * on wasm field elements, which never matches, so it never cancels terms; neither do we. The build
 * checks this count against the header of the zkey snarkjs writes.
 */
export function plonkGateCount(nPublic: number, constraints: readonly LinearCombination[][]): number {
  let gates = nPublic;
  for (const [a, b, c] of constraints) {
    const ka = kind(a);
    const kb = kind(b);
    if (ka === "0" || kb === "0") gates += 1 + Math.max(0, terms(c) - 3);
    else if (ka === "k") gates += 1 + Math.max(0, unionTerms(b, c) - 3);
    else if (kb === "k") gates += 1 + Math.max(0, unionTerms(a, c) - 3);
    else gates += 1 + Math.max(0, terms(a) - 1) + Math.max(0, terms(b) - 1) + Math.max(0, terms(c) - 1);
  }
  return gates;
}

/** Header counts and PLONK gate count of an .r1cs file (no curve workers: a plain bigint field). */
export async function readR1csInfo(file: string): Promise<R1csInfo> {
  const r1cs = await readR1cs(file, {
    loadConstraints: true,
    loadMap: false,
    getFieldFromPrime: (p: bigint) => new F1Field(p),
  });
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  return {
    constraints: r1cs.nConstraints,
    wires: r1cs.nVars,
    publicInputs: r1cs.nPubInputs,
    outputs: r1cs.nOutputs,
    privateInputs: r1cs.nPrvInputs,
    labels: Number(r1cs.nLabels),
    plonkGates: plonkGateCount(nPublic, r1cs.constraints),
  };
}

function ceilLog2(n: number): number {
  let p = 0;
  while (2 ** p < n) p++;
  return p;
}

/**
 * Smallest ptau power a setup accepts (snarkjs 0.7.6): Groth16 needs 2^p >= constraints + public
 * inputs + outputs + 1 (zkey_new.js); PLONK needs 2^p >= gates and p >= 3 (plonk_setup.js).
 */
export function requiredPower(proofSystem: "groth16" | "plonk", info: R1csInfo): number {
  if (proofSystem === "groth16") return ceilLog2(info.constraints + info.publicInputs + info.outputs + 1);
  return Math.max(3, ceilLog2(info.plonkGates));
}
