/**
 * The registry part of the audit (also what anchor:status flags): verifier-key for the zkVM verifier and
 * every policy's, method-guest, and policy-parameters over the policies the events schedule.
 */
import { keccak256, type Provider } from "ethers";
import type { AnchorEvent } from "../anchor/history";
import type { AuditPolicy, AuditProgress } from "./audit";
import { fail, pass, warn, type Check } from "./checks";
import { repoGuests, type RepoGuest } from "./guests";
import { loadKeySetsForAudit, type AuditKeySet } from "./keys";
import { matchVerifier } from "./verifier-code";

const lower = (a: string) => a.toLowerCase();

/** The default key sets; a folder that is not a valid key set is a key-circuit warning. */
export function loadAuditKeySets(extraDirs: string[] | undefined, checks: Check[]): AuditKeySet[] {
  const { valid, invalid } = loadKeySetsForAudit(extraDirs ?? []);
  for (const k of invalid) checks.push(warn("key-circuit", `key set folder ${k.dir}`, `ignored: ${k.reason}`));
  return valid;
}

/** What the registry part of the audit needs: the anchor's zkVM verifier, its events and block times. */
export interface RegistryInput {
  zkvmVerifier: string;
  events: readonly AnchorEvent[];
  times: ReadonlyMap<number, number>;
  keySets: readonly AuditKeySet[];
  /** Block at which verifier code is read. */
  blockTag: number;
  minPolicyDelay: number;
  onProgress?: (e: AuditProgress) => void;
}

type VerifierKey = { keySet: AuditKeySet; circuit: "policy" | "zkvm" } | null;

/**
 * verifier-key, method-guest and policy-parameters over the zkVM verifier and every policy the events
 * schedule (also what anchor:status flags). `keyOfVerifier` maps "<circuit>:<address>" to its key.
 */
export async function auditRegistry(
  provider: Provider,
  input: RegistryInput,
): Promise<{
  checks: Check[];
  policies: AuditPolicy[];
  keyOfVerifier: Map<string, VerifierKey>;
  usedKeySets: Set<AuditKeySet>;
}> {
  const { zkvmVerifier, events, times, keySets, blockTag } = input;
  const progress = input.onProgress ?? (() => {});
  const minDelay = input.minPolicyDelay;
  const checks: Check[] = [];
  // Key sets and the verifiers' code.
  const codeOf = new Map<string, string>();
  const code = async (a: string) => {
    if (!codeOf.has(lower(a))) codeOf.set(lower(a), await provider.getCode(a, blockTag));
    return codeOf.get(lower(a))!;
  };
  const usedKeySets = new Set<AuditKeySet>();
  const keyOfVerifier = new Map<string, VerifierKey>();
  async function verifierCheck(verifier: string, circuit: "policy" | "zkvm", subject: string): Promise<void> {
    progress({ type: "verifier", address: verifier });
    const deployed = await code(verifier);
    const candidates = keySets.map((k) => ({
      label: `${k.label}:${circuit}`,
      vkey: k[circuit].vkey,
      proofSystem: circuit === "policy" ? ("plonk" as const) : ("groth16" as const),
    }));
    if (deployed === "0x") {
      keyOfVerifier.set(`${circuit}:${lower(verifier)}`, null);
      checks.push(fail("verifier-key", subject, `no code at ${verifier}`, { address: verifier }));
      return;
    }
    const m = candidates.length
      ? await matchVerifier(deployed, candidates)
      : { matched: null, evidence: {} as Record<string, never> };
    const evidence: Record<string, string> = { address: verifier, codeHash: keccak256(deployed) };
    if ("deployedCodeHash" in m.evidence) {
      const e = m.evidence;
      evidence.codeHashWithoutMetadata = e.deployedCodeHash;
      evidence.bytesCompared = String(e.deployedBytes);
      evidence.generator = e.generator;
      for (const c of e.candidates)
        evidence[c.label] = c.match
          ? `equal (${c.expectedCodeHash})`
          : `differs: ${c.reason} (key constants found in its code: ${c.keyConstants.found} of ${c.keyConstants.total})`;
    }
    const matched = m.matched === null ? undefined : keySets.find((k) => `${k.label}:${circuit}` === m.matched);
    if (!matched) {
      keyOfVerifier.set(`${circuit}:${lower(verifier)}`, null);
      checks.push(
        fail(
          "verifier-key",
          subject,
          `not a generated verifier: its runtime code (metadata trailer excluded) equals no verifier regenerated from the ${circuit} key of ${keySets.length ? keySets.map((k) => k.label).join(", ") : "any key set (none found: build the circuits or pass --keyset)"}`,
          evidence,
        ),
      );
      return;
    }
    usedKeySets.add(matched);
    keyOfVerifier.set(`${circuit}:${lower(verifier)}`, { keySet: matched, circuit });
    evidence.key = `${matched.label} ${circuit}.vkey.json`;
    checks.push(
      pass(
        "verifier-key",
        subject,
        `its runtime code equals the snarkjs ${circuit === "policy" ? "PLONK" : "Groth16"} verifier regenerated from the ${circuit} key of ${matched.label} and compiled here (metadata trailer excluded: it hashes the source text, not the code)`,
        evidence,
      ),
    );
  }
  await verifierCheck(zkvmVerifier, "zkvm", `zkVM verifier ${zkvmVerifier}`);

  // Policies, from their PolicyScheduled events (the registry never changes a policy in place).
  const guests = repoGuests();
  const policies: AuditPolicy[] = [];
  const retirements = new Map<string, number>();
  for (const e of events)
    if (e.name === "PolicyRetirementScheduled") retirements.set(String(e.args.policyId), Number(e.args.retiredFrom));
  for (const e of events.filter((x) => x.name === "PolicyScheduled")) {
    const a = e.args;
    const p: AuditPolicy = {
      policyId: BigInt(a.policyId),
      verifier: String(a.verifier),
      vkeyHash: String(a.vkeyHash),
      batchSize: Number(a.batchSize),
      methodId: BigInt(a.methodId),
      threshold: BigInt(a.threshold),
      activeFrom: Number(a.activeFrom),
      retiredFrom: retirements.get(String(a.policyId)) ?? null,
      scheduledAtBlock: e.blockNumber,
      scheduledAt: times.get(e.blockNumber) ?? 0,
      txHash: e.txHash,
      delay: Number(a.activeFrom) - (times.get(e.blockNumber) ?? 0),
      key: null,
      guest: null,
    };
    policies.push(p);
    const subject = `policy ${p.policyId}`;
    if (!keyOfVerifier.has(`policy:${lower(p.verifier)}`))
      await verifierCheck(p.verifier, "policy", `${subject} verifier ${p.verifier}`);
    else {
      const k = keyOfVerifier.get(`policy:${lower(p.verifier)}`);
      checks.push(
        (k ? pass : fail)(
          "verifier-key",
          `${subject} verifier ${p.verifier}`,
          k ? `same verifier as checked above (${k.keySet.label})` : "same verifier as above: not a generated verifier",
          { address: p.verifier },
        ),
      );
    }
    const key = keyOfVerifier.get(`policy:${lower(p.verifier)}`) ?? null;
    p.key = key ? `${key.keySet.label}:${key.circuit}` : null;

    const guest: RepoGuest | undefined = guests.find((g) => g.methodId === p.methodId);
    p.guest = guest?.name ?? null;
    checks.push(
      guest
        ? pass("method-guest", subject, `method ID is that of guest ${guest.name} (${guest.file})`, {
            methodId: p.methodId.toString(),
            guest: guest.file,
          })
        : fail(
            "method-guest",
            subject,
            `unknown program: method ID ${p.methodId} is that of no guest in this repository (${guests.map((g) => g.file).join(", ") || "no guests found"})`,
            { methodId: p.methodId.toString() },
          ),
    );

    const problems: string[] = [];
    const evidence: Record<string, string> = {
      batchSize: String(p.batchSize),
      threshold: p.threshold.toString(),
      vkeyHash: p.vkeyHash,
      scheduledIn: p.txHash,
      delaySeconds: String(p.delay),
    };
    if (key) {
      const ks = key.keySet;
      if (p.batchSize !== ks.policy.batchSize)
        problems.push(
          `batch size ${p.batchSize} is not the N = ${ks.policy.batchSize} of ${ks.label}'s policy circuit`,
        );
      if (p.threshold >= 1n << BigInt(ks.policy.scoreBits))
        problems.push(
          `threshold ${p.threshold} is not below 2^${ks.policy.scoreBits} (SCORE_BITS): no proof can satisfy it`,
        );
      if (lower(p.vkeyHash) !== lower(ks.policy.vkeyKeccak256))
        problems.push(
          `the registered vkeyHash ${p.vkeyHash} is not keccak256 of the verifier's key (${ks.policy.vkeyKeccak256})`,
        );
      evidence.keySet = ks.label;
    } else {
      problems.push(
        "its verifier is not generated from a known key, so batch size, threshold range and vkeyHash cannot be tied to a circuit",
      );
    }
    if (problems.length) checks.push(fail("policy-parameters", subject, problems.join("; "), evidence));
    else if (p.delay < minDelay)
      checks.push(
        warn(
          "policy-parameters",
          subject,
          `took effect ${p.delay} s after it was scheduled, less than the minimum policy delay of ${minDelay} s: users had no time to react to it`,
          evidence,
        ),
      );
    else
      checks.push(
        pass(
          "policy-parameters",
          subject,
          `batch size ${p.batchSize} and threshold ${p.threshold} fit the policy circuit; vkeyHash is its key's; delay ${p.delay} s`,
          evidence,
        ),
      );
  }

  return { checks, policies, keyOfVerifier, usedKeySets };
}
