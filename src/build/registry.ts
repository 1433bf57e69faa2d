/**
 * circuits/registry.json: the one list of circuits the build knows (template, parameters per
 * profile, public inputs, proof system, verifier contract name). Validated on load so a typo fails
 * with the field that is wrong instead of a confusing circom or snarkjs error later.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, PROFILES, type Profile } from "../paths";
import { BuildError } from "./progress";
import type { MainSpec } from "./circom";

export type ProofSystem = "groth16" | "plonk";
export const PROOF_SYSTEMS: readonly ProofSystem[] = ["groth16", "plonk"];

export interface RegistryCircuit {
  /** Circuit source, relative to the repository root. */
  file: string;
  template: string;
  proofSystem: ProofSystem;
  /** Verifier contract base name; the profile is appended (PolicyVerifier -> PolicyVerifierTest). */
  verifierContract: string;
  /** Template parameter names in declaration order. */
  paramOrder: string[];
  params: Record<Profile, Record<string, number>>;
  publicInputs: string[];
  /** Documentation of the public-signal order (not used by the build). */
  publicSignals?: string[];
  /**
   * Extra circom flags after CIRCOM_FLAGS. PLONK circuits use ["--O1"]: --O2 substitutes linear
   * constraints into the Poseidon S-boxes and multiplies snarkjs PLONK gates (policy N=4: 45k vs 10k).
   */
  circomFlags?: string[];
  /** zkVM circuits: guest programs (name -> assembly file, repo-relative) whose method IDs the build records. */
  guests?: Record<string, string>;
}

export interface Registry {
  circuits: Record<string, RegistryCircuit>;
}

export const DEFAULT_REGISTRY = path.join(REPO_ROOT, "circuits", "registry.json");

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Loads and validates a registry from a file (default circuits/registry.json) or an object. */
export function loadRegistry(source: string | Registry = DEFAULT_REGISTRY): Registry {
  let raw: unknown;
  let where: string;
  if (typeof source === "string") {
    where = path.relative(REPO_ROOT, source) || source;
    try {
      raw = JSON.parse(fs.readFileSync(source, "utf8"));
    } catch (err) {
      throw new BuildError(`cannot read circuit registry ${where}: ${(err as Error).message}`, null, "registry");
    }
  } else {
    where = "registry object";
    raw = source;
  }
  const fail = (msg: string): never => {
    throw new BuildError(`invalid circuit registry (${where}): ${msg}`, null, "registry");
  };
  if (typeof raw !== "object" || raw === null || typeof (raw as Registry).circuits !== "object") {
    fail(`expected {"circuits": {...}}`);
  }
  const circuits = (raw as Registry).circuits;
  for (const [name, c] of Object.entries(circuits)) {
    const at = `circuits.${name}`;
    if (!IDENT.test(name)) fail(`circuit name "${name}" must be an identifier (it names files and contracts)`);
    if (typeof c.file !== "string" || !c.file.endsWith(".circom")) fail(`${at}.file must be a .circom path`);
    if (path.isAbsolute(c.file)) fail(`${at}.file must be relative to the repository root`);
    if (typeof c.template !== "string" || !IDENT.test(c.template)) fail(`${at}.template must be a template name`);
    if (!PROOF_SYSTEMS.includes(c.proofSystem)) fail(`${at}.proofSystem must be one of ${PROOF_SYSTEMS.join(", ")}`);
    if (typeof c.verifierContract !== "string" || !IDENT.test(c.verifierContract)) {
      fail(`${at}.verifierContract must be a Solidity identifier`);
    }
    if (!Array.isArray(c.paramOrder)) fail(`${at}.paramOrder must list the template parameters in order`);
    if (!Array.isArray(c.publicInputs)) fail(`${at}.publicInputs must be an array of signal names`);
    if (
      c.circomFlags !== undefined &&
      !(Array.isArray(c.circomFlags) && c.circomFlags.every((f) => /^--O[012]$/.test(f)))
    ) {
      fail(`${at}.circomFlags must be an array of circom optimization flags (--O0, --O1, --O2)`);
    }
    if (
      c.guests !== undefined &&
      (typeof c.guests !== "object" ||
        Object.values(c.guests).some((f) => typeof f !== "string" || !f.endsWith(".asm") || path.isAbsolute(f)))
    ) {
      fail(`${at}.guests must map guest names to repository-relative .asm files`);
    }
    for (const profile of PROFILES) {
      const p = c.params?.[profile];
      if (typeof p !== "object" || p === null) fail(`${at}.params.${profile} is missing`);
      for (const key of c.paramOrder) {
        if (!Number.isSafeInteger(p[key]) || p[key] < 0) {
          fail(`${at}.params.${profile}.${key} must be a non-negative integer`);
        }
      }
      const extra = Object.keys(p).filter((k) => !c.paramOrder.includes(k));
      if (extra.length) fail(`${at}.params.${profile} has parameters not in paramOrder: ${extra.join(", ")}`);
    }
  }
  return raw as Registry;
}

/** The parameters of `circuit` for `profile`, in declaration order. */
export function paramValues(circuit: RegistryCircuit, profile: Profile): number[] {
  return circuit.paramOrder.map((k) => circuit.params[profile][k]);
}

/** The compileTemplate spec of a registry circuit. */
export function mainSpec(circuit: RegistryCircuit, profile: Profile): MainSpec {
  return {
    file: circuit.file,
    template: circuit.template,
    params: paramValues(circuit, profile),
    publicInputs: circuit.publicInputs,
  };
}

/** Verifier contract name for a profile: PolicyVerifier + test -> PolicyVerifierTest. */
export function verifierContractName(base: string, profile: Profile): string {
  return base + profile[0].toUpperCase() + profile.slice(1);
}
