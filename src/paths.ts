/**
 * Where build outputs live. One layout, used by the build pipeline, the provers and the tests:
 *   build/<profile>/manifest.json
 *   build/<profile>/<circuit>/<circuit>.r1cs | .sym | .zkey | .vkey.json | <circuit>_js/<circuit>.wasm
 * The dev powers-of-tau cache is per user, outside the clone: $ZKLA_CACHE_DIR or ~/.cache/zk-loan-anchor.
 */
import os from "node:os";
import path from "node:path";

export type Profile = "test" | "production";
export const PROFILES: readonly Profile[] = ["test", "production"];

/** Repository root (this file is src/paths.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..");

export function cacheDir(): string {
  return process.env.ZKLA_CACHE_DIR ?? path.join(os.homedir(), ".cache", "zk-loan-anchor");
}

export function buildDir(profile: Profile, root = REPO_ROOT): string {
  return path.join(root, "build", profile);
}

export interface CircuitPaths {
  dir: string;
  r1cs: string;
  sym: string;
  wasm: string;
  witnessCalculator: string;
  zkey: string;
  vkey: string;
}

export function circuitPaths(circuit: string, profile: Profile, root = REPO_ROOT): CircuitPaths {
  const dir = path.join(buildDir(profile, root), circuit);
  return {
    dir,
    r1cs: path.join(dir, `${circuit}.r1cs`),
    sym: path.join(dir, `${circuit}.sym`),
    wasm: path.join(dir, `${circuit}_js`, `${circuit}.wasm`),
    witnessCalculator: path.join(dir, `${circuit}_js`, "witness_calculator.js"),
    zkey: path.join(dir, `${circuit}.zkey`),
    vkey: path.join(dir, `${circuit}.vkey.json`),
  };
}

export function manifestPath(profile: Profile, root = REPO_ROOT): string {
  return path.join(buildDir(profile, root), "manifest.json");
}
