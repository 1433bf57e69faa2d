/** zkVM sizes per profile, read from circuits/registry.json (the one place they live). */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, type Profile } from "../paths";
import type { ZkvmLimits } from "./emulator";

const KEYS = ["T", "P", "L", "K", "J"] as const;

/** `{ T, P, L, K, J }` of the zkvm circuit for `profile`; throws if the registry entry is malformed. */
export function zkvmParams(
  profile: Profile,
  registryFile = path.join(REPO_ROOT, "circuits", "registry.json"),
): ZkvmLimits {
  const registry = JSON.parse(fs.readFileSync(registryFile, "utf8")) as {
    circuits?: { zkvm?: { params?: Record<string, Record<string, unknown> | undefined> } };
  };
  const entry = registry.circuits?.zkvm?.params?.[profile];
  if (!entry) throw new Error(`${registryFile} has no zkvm parameters for profile "${profile}"`);
  const out = {} as ZkvmLimits;
  for (const k of KEYS) {
    const v = entry[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new Error(
        `${registryFile}: zkvm.params.${profile}.${k} must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    out[k] = v;
  }
  if (out.K > 8)
    throw new Error(`${registryFile}: zkvm.params.${profile}.K must be <= 8 (PUB indexes params with a 3-bit field)`);
  return out;
}
