/**
 * The audit of the chain of trust, from an RPC endpoint, an anchor address and this repository:
 *
 *   verifier-key       each verifier the anchor calls is the snarkjs verifier regenerated from a key of a key set
 *   key-circuit        each key set used matches this commit's circuit sources (deep: setup re-run / zkey verify)
 *   method-guest       each registered method ID is methodId(assemble(guests/<name>.asm)) of a guest here
 *   policy-parameters  batch size, threshold range, registered vkeyHash, scheduling delay
 *   proofs-reverified  every attest call's proofs verified off-chain with public signals rebuilt as the contract does
 *   root-chain         nonces, prevRoot, decisions roots, newRoot and final counters rebuilt from events
 *   governance         roles, admin transfers, pauses, policy scheduling and retirement, delay changes
 *   deployment-file    (when given) the lender's deployments file agrees with the chain
 *
 * It trusts the RPC node (audit against your own), the trusted setup behind the keys, and Poseidon; it
 * trusts nothing in the deployments file or on chain without checking it. Never prints: progress goes to
 * `onProgress`, the report is data (src/audit/report.ts renders it).
 */
import type { Provider } from "ethers";
import {
  anchorReader,
  assertContractAt,
  blockTimes,
  findDeploymentBlock,
  readAnchorEvents,
  readAttestCalldata,
  type AnchorEvent,
  type AttestCalldata,
} from "../anchor/history";
import { anchorDomain, anchorPolicySignals, anchorZkvmSignals, genesisRoot } from "../anchor/state";
import type { DeploymentManifest } from "../anchor/deploy";
import { decodePolicyProof } from "../policy/prove";
import { decodeZkvmProof } from "../zkvm/prove";
import { verifyWithVkey } from "../snark";
import { fail, pass, verdictOf, warn, type Check, type CheckStatus } from "./checks";
import { governanceTimeline, type TimelineEntry } from "./governance";
import { auditEvents, type AttestedEvent } from "./root-chain";
import { auditRegistry, loadAuditKeySets } from "./registry";
import { keyCircuitCheck, type AuditKeySet } from "./keys";

/** Chains whose ids mark a local development node: the default minimum policy delay there is 0. */
export const LOCAL_CHAIN_IDS = [31337n, 1337n];
export const DEFAULT_MIN_POLICY_DELAY = 86_400;

export interface AuditOptions {
  /** First block to read (default: the anchor's deployment block, found by binary search). */
  fromBlock?: number;
  /** Last block to read (default: the latest); final counters are compared at this block. */
  toBlock?: number;
  /** Blocks per eth_getLogs request. */
  chunk?: number;
  /** The lender's deployments file, checked against the chain when given. */
  deployment?: { file: string; manifest: DeploymentManifest };
  /** Key sets to audit against (default: auditKeySets(), the committed ones and the local builds). */
  keySets?: AuditKeySet[];
  /** Extra key-set folders to load besides the default ones. */
  keySetDirs?: string[];
  /** Seconds below which a policy's scheduling delay is a warning (default 1 day; 0 on local chains). */
  minPolicyDelay?: number;
  /** key-circuit: recompile, re-run the PLONK setup and verify the Groth16 zkey (slow). */
  deep?: boolean;
  /** ptau file for the deep check (default: the dev ptau of the cache when the key set is a dev build). */
  ptau?: string;
  onProgress?: (e: AuditProgress) => void;
}

export type AuditProgress =
  | { type: "range"; fromBlock: number; toBlock: number; deploymentBlockFound: boolean }
  | { type: "logs"; done: number; total: number }
  | { type: "verifier"; address: string }
  | { type: "batch"; done: number; total: number }
  | { type: "keyset"; label: string };

export interface AuditPolicy {
  policyId: bigint;
  verifier: string;
  vkeyHash: string;
  batchSize: number;
  methodId: bigint;
  threshold: bigint;
  activeFrom: number;
  retiredFrom: number | null;
  scheduledAtBlock: number;
  scheduledAt: number;
  txHash: string;
  /** activeFrom minus the scheduling block's time (seconds). */
  delay: number;
  /** Label of the key the verifier's code was regenerated from, or null. */
  key: string | null;
  /** Name of the guest whose method ID this is, or null. */
  guest: string | null;
}

export interface AuditedBatch {
  nonce: bigint;
  policyId: bigint;
  blockNumber: number;
  time: number;
  txHash: string;
  activeCount: number;
  approved: number;
  denied: number;
  decisionBits: bigint;
  prevRoot: bigint;
  newRoot: bigint;
  /** pass: both proofs verified off-chain; fail: a proof or the calldata did not; warn: not re-verified. */
  reverified: CheckStatus;
}

export interface AuditReport {
  verdict: CheckStatus;
  anchor: string;
  chainId: bigint;
  fromBlock: number;
  toBlock: number;
  deploymentBlockFound: boolean;
  domain: bigint;
  zkvmVerifier: string;
  keySets: { label: string; id: string; devOnly: boolean; dir: string }[];
  checks: Check[];
  policies: AuditPolicy[];
  batches: AuditedBatch[];
  governance: TimelineEntry[];
  state: { stateRoot: bigint; nonce: bigint; decisionCount: bigint; paused: boolean | null };
  totals: { batches: number; decisions: number; approved: number; denied: number };
  /** Wall time of the audit in milliseconds. */
  ms: number;
}

const lower = (a: string) => a.toLowerCase();
const hex32 = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

function popcount(bits: bigint, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if ((bits >> BigInt(i)) & 1n) c++;
  return c;
}

/** Attested batches from the events: BatchAttested joined with DecisionsAttested of the same nonce and tx. */
function attestedEvents(events: readonly AnchorEvent[]): AttestedEvent[] {
  const decisions = new Map<string, { decisionBits: bigint; commitments: bigint[] }>();
  for (const e of events) {
    if (e.name === "DecisionsAttested") {
      decisions.set(`${e.txHash}/${e.args.nonce}`, {
        decisionBits: BigInt(e.args.decisionBits),
        commitments: [...e.args.commitments].map((c: bigint) => BigInt(c)),
      });
    }
  }
  return events
    .filter((e) => e.name === "BatchAttested")
    .map((e) => ({
      nonce: BigInt(e.args.nonce),
      policyId: BigInt(e.args.policyId),
      prevRoot: BigInt(e.args.prevRoot),
      newRoot: BigInt(e.args.newRoot),
      methodId: BigInt(e.args.methodId),
      tapeDigest: BigInt(e.args.tapeDigest),
      decisionBits: BigInt(e.args.decisionBits),
      activeCount: BigInt(e.args.activeCount),
      decisionsRoot: String(e.args.decisionsRoot),
      blockNumber: e.blockNumber,
      txHash: e.txHash,
      decisions: decisions.get(`${e.txHash}/${e.args.nonce}`),
    }));
}

/** The calldata of an attest call against the events it produced: the values both proofs were checked on. */
function calldataDisagreement(c: AttestCalldata, e: AttestedEvent): string | null {
  const diffs: string[] = [];
  if (c.policyId !== e.policyId) diffs.push(`policyId ${c.policyId} vs event ${e.policyId}`);
  if (c.batch.tapeDigest !== e.tapeDigest) diffs.push("tapeDigest");
  if (c.batch.decisionBits !== e.decisionBits) diffs.push("decisionBits");
  if (c.batch.activeCount !== e.activeCount) diffs.push("activeCount");
  const commitments = e.decisions?.commitments ?? [];
  if (c.batch.commitments.length !== commitments.length || c.batch.commitments.some((x, i) => x !== commitments[i]))
    diffs.push("commitments");
  return diffs.length ? `the attest calldata disagrees with the events on ${diffs.join(", ")}` : null;
}

export { auditRegistry, type RegistryInput } from "./registry";

export async function auditAnchor(
  address: string,
  provider: Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> },
  options: AuditOptions = {},
): Promise<AuditReport> {
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => {});
  const checks: Check[] = [];
  const chainId = (await provider.getNetwork()).chainId;
  const head = await provider.getBlockNumber();
  const toBlock = Math.min(options.toBlock ?? head, head);
  await assertContractAt(provider, address, toBlock);
  const deploymentBlockFound = options.fromBlock === undefined;
  const fromBlock = options.fromBlock ?? (await findDeploymentBlock(provider, address, toBlock));
  progress({ type: "range", fromBlock, toBlock, deploymentBlockFound });

  const anchor = anchorReader(address, provider);
  const at = { blockTag: toBlock };
  const [stateRoot, nonce, decisionCount, domain, zkvmVerifier] = await Promise.all([
    anchor.stateRoot(at).then(BigInt),
    anchor.nonce(at).then(BigInt),
    anchor.decisionCount(at).then(BigInt),
    anchor.domain(at).then(BigInt),
    anchor.zkvmVerifier(at).then(String),
  ]);
  const paused = await anchor.paused(at).then(Boolean, () => null);

  const events = await readAnchorEvents(provider, address, {
    fromBlock,
    toBlock,
    chunk: options.chunk,
    onProgress: (done, total) => progress({ type: "logs", done, total }),
  });
  const times = await blockTimes(
    provider,
    events.filter((e) => e.name !== "DecisionsAttested").map((e) => e.blockNumber),
  );

  const keySets = options.keySets ?? loadAuditKeySets(options.keySetDirs, checks);
  const registry = await auditRegistry(provider, {
    zkvmVerifier,
    events,
    times,
    keySets,
    blockTag: toBlock,
    minPolicyDelay: options.minPolicyDelay ?? (LOCAL_CHAIN_IDS.includes(chainId) ? 0 : DEFAULT_MIN_POLICY_DELAY),
    onProgress: progress,
  });
  checks.push(...registry.checks);
  const { policies, keyOfVerifier, usedKeySets } = registry;

  // key-circuit, for each key set a verifier was generated from.
  for (const ks of usedKeySets) {
    progress({ type: "keyset", label: ks.label });
    checks.push(await keyCircuitCheck(ks, { deep: options.deep, ptau: options.ptau }));
  }

  // Root chain (events alone) and every proof re-verified.
  const attested = attestedEvents(events);
  const rootChain = await auditEvents(address, attested, {
    domain,
    stateRoot,
    nonce,
    decisionCount,
    decisionsRootOf: async (n) => String(await anchor.decisionsRoot(n, at)),
  });
  if (rootChain.ok)
    checks.push(
      pass(
        "root-chain",
        "state roots",
        `${attested.length} batch(es) rebuilt from events in nonce order from the genesis root: every prevRoot, decisions root and newRoot matches, and so do the final stateRoot, nonce and decisionCount`,
        { stateRoot: hex32(stateRoot), nonce: nonce.toString(), decisionCount: decisionCount.toString() },
      ),
    );
  for (const problem of rootChain.problems) checks.push(fail("root-chain", "state roots", problem));

  const expectedDomain = anchorDomain(chainId, address);
  if (expectedDomain !== domain)
    checks.push(fail("root-chain", "domain", `domain() is ${domain}, not ${expectedDomain} (chain id and address)`));
  const policyById = new Map(policies.map((p) => [p.policyId, p]));
  const batches: AuditedBatch[] = [];
  let reverifiedCount = 0;
  for (const [i, e] of attested.entries()) {
    progress({ type: "batch", done: i, total: attested.length });
    const subject = `batch nonce ${e.nonce}`;
    const ev: Record<string, string> = { tx: e.txHash, block: String(e.blockNumber) };
    const p = policyById.get(e.policyId);
    let status: CheckStatus = "pass";
    // The root the contract held before this batch: genesis, then each batch's newRoot (checked by root-chain).
    const prevRoot = i > 0 ? attested[i - 1].newRoot : e.nonce === 0n ? genesisRoot(domain) : e.prevRoot;
    const cd = await readAttestCalldata(provider, address, e.txHash, e.nonce);
    if (!cd.found) {
      status = "warn";
      checks.push(warn("proofs-reverified", subject, `not re-verified: ${cd.reason}`, ev));
    } else if (!p) {
      status = "fail";
      checks.push(
        fail("proofs-reverified", subject, `policy ${e.policyId} has no PolicyScheduled event in the range read`, ev),
      );
    } else {
      const disagreement = calldataDisagreement(cd.calldata, e);
      // The key the verifier was generated from; else the key the policy registered (its vkeyHash).
      const verifierKey = keyOfVerifier.get(`policy:${lower(p.verifier)}`)?.keySet;
      const registeredKey = keySets.find((k) => lower(k.policy.vkeyKeccak256) === lower(p.vkeyHash));
      const policyKey = verifierKey ?? registeredKey;
      const zkvmKey = keyOfVerifier.get(`zkvm:${lower(zkvmVerifier)}`);
      const failures: string[] = [];
      if (disagreement) failures.push(disagreement);
      const batch = cd.calldata.batch;
      if (!policyKey)
        failures.push(
          `policy proof: no key of this repository for policy ${p.policyId} (neither its verifier's code nor its vkeyHash)`,
        );
      else {
        const signals = anchorPolicySignals(batch, p.threshold);
        const proof = decodePolicyProof(cd.calldata.policyProof);
        if (!(await verifyWithVkey("plonk", policyKey.policy.vkey as never, signals, proof)))
          failures.push(
            `the policy proof does not verify with the policy key ${verifierKey ? "of" : "its policy registered (vkeyHash) of"} key set ${policyKey.label}`,
          );
      }
      if (!zkvmKey) failures.push("zkVM proof: the anchor's zkVM verifier has no key of this repository");
      else {
        const signals = anchorZkvmSignals(batch, {
          methodId: p.methodId,
          domain,
          prevRoot,
          nonce: e.nonce,
          threshold: p.threshold,
        });
        const proof = decodeZkvmProof(cd.calldata.zkvmProof);
        if (!(await verifyWithVkey("groth16", zkvmKey.keySet.zkvm.vkey as never, signals, proof)))
          failures.push(`the zkVM proof does not verify with the zkVM key of key set ${zkvmKey.keySet.label}`);
      }
      ev.calldataFrom = cd.via;
      if (failures.length) {
        status = "fail";
        checks.push(fail("proofs-reverified", subject, failures.join("; "), ev));
      } else reverifiedCount++;
    }
    const active = Number(e.activeCount);
    const approved = popcount(e.decisionBits, Math.min(active, 256));
    batches.push({
      nonce: e.nonce,
      policyId: e.policyId,
      blockNumber: e.blockNumber,
      time: times.get(e.blockNumber) ?? 0,
      txHash: e.txHash,
      activeCount: active,
      approved,
      denied: active - approved,
      decisionBits: e.decisionBits,
      prevRoot: e.prevRoot,
      newRoot: e.newRoot,
      reverified: status,
    });
  }
  progress({ type: "batch", done: attested.length, total: attested.length });
  if (reverifiedCount === attested.length)
    checks.push(
      pass(
        "proofs-reverified",
        "every batch",
        `${attested.length} batch(es): both proofs of every attest call verified off-chain with the key sets, on public signals rebuilt from the chain's state at each nonce as the contract builds them, and the calldata agrees with the events`,
        { batches: String(attested.length) },
      ),
    );

  // Governance.
  const governance = governanceTimeline(events, times);
  const unknown = events.filter((e) => e.name === "unknown");
  checks.push(
    unknown.length
      ? fail(
          "governance",
          "events",
          `${unknown.length} event(s) no StateAnchor emits (first in tx ${unknown[0].txHash})`,
        )
      : paused
        ? warn("governance", "timeline", `the anchor is paused now; ${governance.length} governance event(s)`)
        : pass("governance", "timeline", `${governance.length} governance event(s), listed in the report's timeline`),
  );

  if (options.deployment)
    checks.push(...deploymentFileChecks(options.deployment, address, chainId, zkvmVerifier, policies, keySets));

  const decisions = batches.reduce((n, b) => n + b.activeCount, 0);
  const approvedTotal = batches.reduce((n, b) => n + b.approved, 0);
  return {
    verdict: verdictOf(checks),
    anchor: address,
    chainId,
    fromBlock,
    toBlock,
    deploymentBlockFound,
    domain,
    zkvmVerifier,
    keySets: keySets.map((k) => ({ label: k.label, id: k.id, devOnly: k.devOnly, dir: k.dir })),
    checks,
    policies,
    batches,
    governance,
    state: { stateRoot, nonce, decisionCount, paused },
    totals: { batches: batches.length, decisions, approved: approvedTotal, denied: decisions - approvedTotal },
    ms: Date.now() - t0,
  };
}

/** The lender's deployments file against the chain: nothing in it is trusted, everything is compared. */
function deploymentFileChecks(
  d: { file: string; manifest: DeploymentManifest },
  address: string,
  chainId: bigint,
  zkvmVerifier: string,
  policies: readonly AuditPolicy[],
  keySets: readonly AuditKeySet[],
): Check[] {
  const m = d.manifest;
  const subject = d.file;
  const problems: string[] = [];
  if (m.chainId !== chainId.toString()) problems.push(`it is for chain ${m.chainId}, the node is chain ${chainId}`);
  if (lower(m.contracts.stateAnchor.address) !== lower(address))
    problems.push(`it names anchor ${m.contracts.stateAnchor.address}, the audited anchor is ${address}`);
  else {
    if (lower(m.contracts.zkvmVerifier.address) !== lower(zkvmVerifier))
      problems.push(
        `zkvmVerifier ${m.contracts.zkvmVerifier.address} is not the anchor's zkvmVerifier() ${zkvmVerifier}`,
      );
    for (const fp of m.policies ?? []) {
      const p = policies.find((x) => x.policyId.toString() === fp.policyId);
      if (!p) {
        problems.push(`policy ${fp.policyId} is not registered on the anchor`);
        continue;
      }
      const diffs: string[] = [];
      if (lower(fp.verifier) !== lower(p.verifier)) diffs.push(`verifier ${fp.verifier} vs ${p.verifier}`);
      if (fp.methodId !== p.methodId.toString()) diffs.push(`methodId ${fp.methodId} vs ${p.methodId}`);
      if (fp.threshold !== p.threshold.toString()) diffs.push(`threshold ${fp.threshold} vs ${p.threshold}`);
      if (fp.batchSize !== p.batchSize) diffs.push(`batchSize ${fp.batchSize} vs ${p.batchSize}`);
      if (lower(fp.vkeyHash) !== lower(p.vkeyHash)) diffs.push(`vkeyHash ${fp.vkeyHash} vs ${p.vkeyHash}`);
      if (diffs.length) problems.push(`policy ${fp.policyId} differs from the chain: ${diffs.join(", ")}`);
    }
    const loan = m.methodIds?.loan;
    if (loan && !policies.some((p) => p.methodId.toString() === loan))
      problems.push(`methodIds.loan ${loan} is the method ID of no registered policy`);
  }
  const recorded = m.keySet?.id;
  if (recorded && !keySets.some((k) => k.id === recorded))
    problems.push(`it records key set ${recorded}, which is not among the key sets loaded here`);
  return [
    problems.length
      ? fail("deployment-file", subject, problems.join("; "), { anchor: m.contracts.stateAnchor.address })
      : pass("deployment-file", subject, "chain id, anchor, verifiers, policies and method ID agree with the chain", {
          anchor: m.contracts.stateAnchor.address,
        }),
  ];
}
