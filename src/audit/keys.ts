/**
 * The key sets an audit checks a deployment against (src/build/keyset.ts: the committed keysets/* and
 * the local build/<profile>/keyset), in the shape the audit needs, and the key-circuit check over one.
 */
import { loadKeySets, type ValidKeySet } from "../build/keyset";
import { REPO_ROOT } from "../paths";
import { fail, pass, warn, type Check } from "./checks";
import { checkKeySetAgainstSources } from "./keyset-check";

export interface AuditKeySet {
  label: string;
  id: string;
  dir: string;
  devOnly: boolean;
  profile: string;
  policy: { vkey: object; vkeyKeccak256: string; batchSize: number; scoreBits: number };
  zkvm: { vkey: object; vkeyKeccak256: string };
  /** The key set as loaded (for the key-circuit check). */
  source: ValidKeySet;
}

/** Loaded key sets, the invalid ones with their reasons. */
export function auditKeySets(extraDirs: string[] = [], root = REPO_ROOT): AuditKeySet[] {
  return loadKeySetsForAudit(extraDirs, root).valid;
}

export function loadKeySetsForAudit(
  extraDirs: string[] = [],
  root = REPO_ROOT,
): { valid: AuditKeySet[]; invalid: { dir: string; reason: string }[] } {
  const valid: AuditKeySet[] = [];
  const invalid: { dir: string; reason: string }[] = [];
  for (const k of loadKeySets(root, extraDirs)) {
    if (!k.valid) {
      invalid.push({ dir: k.relDir, reason: k.reason });
      continue;
    }
    const policy = k.data.circuits.policy;
    const zkvm = k.data.circuits.zkvm;
    if (!policy || !zkvm || !k.vkeys.policy || !k.vkeys.zkvm) {
      invalid.push({ dir: k.relDir, reason: "it lacks the policy or the zkvm circuit" });
      continue;
    }
    valid.push({
      label: k.label,
      id: k.id,
      dir: k.relDir,
      devOnly: k.devOnly,
      profile: k.profile,
      policy: {
        vkey: k.vkeys.policy,
        vkeyKeccak256: policy.vkeyKeccak256,
        batchSize: Number(policy.params.N),
        scoreBits: Number(policy.params.SCORE_BITS),
      },
      zkvm: { vkey: k.vkeys.zkvm, vkeyKeccak256: zkvm.vkeyKeccak256 },
      source: k,
    });
  }
  return { valid, invalid };
}

/** key-circuit: the key set against this commit's circuit sources (deep: setups re-run and compared). */
export async function keyCircuitCheck(ks: AuditKeySet, o: { deep?: boolean; ptau?: string }): Promise<Check> {
  const r = await checkKeySetAgainstSources(ks.source, { deep: o.deep, ptau: o.ptau });
  const make = r.status === "pass" ? pass : r.status === "warn" ? warn : fail;
  return make("key-circuit", `key set ${ks.label}`, r.reason, { id: ks.id, ...r.evidence });
}
