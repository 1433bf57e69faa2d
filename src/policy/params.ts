/**
 * Policy circuit parameters per profile, read from the circuit registry (circuits/registry.json):
 * the one place the batch size N and the score width live.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, type Profile } from "../paths";

export interface PolicyParams {
  /** N: slots per batch (the circuit's first template parameter). */
  batchSize: number;
  /** SCORE_BITS: scores and the threshold are proven to be < 2^scoreBits. */
  scoreBits: number;
}

interface RegistryEntry {
  params: Record<string, { N?: unknown; SCORE_BITS?: unknown } | undefined>;
}

export function registryPath(root = REPO_ROOT): string {
  return path.join(root, "circuits", "registry.json");
}

/** `{ batchSize, scoreBits }` of the policy circuit for `profile`; throws if the registry entry is malformed. */
export function policyParams(profile: Profile, registryFile = registryPath()): PolicyParams {
  const registry = JSON.parse(fs.readFileSync(registryFile, "utf8")) as { circuits?: Record<string, RegistryEntry> };
  const entry = registry.circuits?.policy?.params?.[profile];
  if (!entry) throw new Error(`${registryFile} has no policy parameters for profile "${profile}"`);
  const { N, SCORE_BITS } = entry;
  if (typeof N !== "number" || !Number.isInteger(N) || N < 1 || N > 252) {
    throw new Error(
      `${registryFile}: policy.params.${profile}.N must be an integer in 1..252, got ${JSON.stringify(N)}`,
    );
  }
  if (typeof SCORE_BITS !== "number" || !Number.isInteger(SCORE_BITS) || SCORE_BITS < 1 || SCORE_BITS > 32) {
    throw new Error(
      `${registryFile}: policy.params.${profile}.SCORE_BITS must be an integer in 1..32 (scores are 32-bit tape words), got ${JSON.stringify(SCORE_BITS)}`,
    );
  }
  return { batchSize: N, scoreBits: SCORE_BITS };
}
