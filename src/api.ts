/**
 * The high-level calls a lender's script makes (docs/api.md), over the same code the CLI tasks use:
 * plan, prove, submit, attest (prove then submit), status, audit and inclusion. Each takes plain options and a
 * provider or signer, reports progress through `onEvent`, never prints and returns a typed summary.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { keccak256, parseUnits, type Provider, type Signer } from "ethers";
import type { DeploymentManifest } from "./anchor/deploy";
import { anchorReader, assertContractAt } from "./anchor/history";
import { UsageError, ZklaError } from "./errors";
import { trustFlags } from "./audit/flags";
import type { Check } from "./audit/checks";
import { readAnchorView, type AnchorView } from "./anchor/contract";
import { EthersAnchorClient } from "./pipeline/submission/chain";
import type { EventSink } from "./pipeline/events";
import {
  defaultConcurrency,
  proveRun,
  provingKeyId,
  type ProveOptions,
  type ProveSummary,
} from "./pipeline/proving/prove";
import { DEFAULT_QUEUE_NAME, parseQueueUrl } from "./pipeline/proving/queue-shared";
import { openRunSession, type RunSession, type RunSessionOptions } from "./pipeline/run/session";
import { checkMaxBatches, planReadyEvent } from "./pipeline/run/open";
import { submitRun, type SubmitOptions, type SubmitSummary } from "./pipeline/submission/submit";
import { proveAndSubmit } from "./pipeline/stream";
import { readDeployment } from "./pipeline/run/target";

/** One application as a script hands it over; a missing salt is drawn from the CSPRNG. */
export interface ApplicationRow {
  applicantId: bigint | number | string;
  score: bigint | number | string;
  salt?: bigint | number | string;
}

export interface RunRequest {
  /** The deployments file (path) or its parsed content. */
  deployment: string | DeploymentManifest;
  /** Applications file (.csv or .json) ... */
  file?: string;
  /** ... or the applications themselves (written to <runsDir>/inputs/<sha256>.json, private). */
  applications?: readonly ApplicationRow[];
  /** Continue a planned run by id instead. */
  run?: string;
  /** Folder of run folders (default "runs"). Private: scores and salts. */
  runsDir?: string;
  newRun?: boolean;
  /**
   * Leave out the rows already on the anchor (attested, or planned in an unfinished run) instead of
   * refusing the file (AlreadyOnAnchorError): what a lender appending to a daily file wants.
   */
  skipAttested?: boolean;
  policyId?: bigint;
  onEvent?: EventSink;
}

export interface PlanRequest extends RunRequest {
  provider: Provider;
  /**
   * Plan only the file's first maxBatches * batchSize rows, in file order (default: the whole file).
   * A run is continued only with the value it was planned with (RunMismatchError otherwise).
   */
  maxBatches?: number;
}

export interface ProveRequest extends PlanRequest {
  /** Prover processes (default: CPU count; unused with `queue`). */
  concurrency?: number;
  /**
   * Prove through BullMQ on Redis instead of local processes: redis://[user:password@]host:port[/db]
   * (the password may come from ZKLA_REDIS_PASSWORD). `anchor:worker` processes prove on any machine
   * with this build; every result is verified here before it is stored.
   */
  queue?: string;
  /** The queue's name (default "zkla-proving"; the workers must use the same). */
  queueName?: string;
}

export interface SubmitRequest extends RunRequest {
  /** The account holding SUBMITTER_ROLE (with a provider). */
  signer: Signer;
  /** Blocks to wait after each attest (default 1). */
  confirmations?: number;
  /** Seconds a transaction may stay pending before it is replaced with higher fees (default 120). */
  pendingTimeout?: number;
  /** The most a replacement may pay per gas, in gwei (default: no limit). */
  maxFeeGwei?: string;
  /** Attempts per RPC call on transient errors (default 8). */
  retries?: number;
  /** Receipt polling interval in ms (default 500). */
  pollMs?: number;
  /** Called after each batch is attested and recorded. */
  afterAttested?: (index: number) => void | Promise<void>;
}

export type AttestRequest = SubmitRequest & Pick<ProveRequest, "concurrency" | "maxBatches" | "queue" | "queueName">;

export type PlanResult = RunSession;
export interface ProveResult extends RunSession {
  proving: ProveSummary;
}
export interface SubmitResult extends RunSession {
  submission: SubmitSummary;
}
export interface AttestResult extends RunSession {
  proving: ProveSummary;
  submission: SubmitSummary;
}

/** The submission options from user-facing values; a bad one is a UsageError before anything runs. */
export function submitOptions(r: Pick<SubmitRequest, "confirmations" | "pendingTimeout" | "maxFeeGwei" | "retries">): {
  confirmations: number;
  pendingTimeoutMs: number;
  maxFeePerGas?: bigint;
  retries: number;
} {
  const confirmations = r.confirmations ?? 1;
  const pendingTimeout = r.pendingTimeout ?? 120;
  if (!Number.isInteger(confirmations) || confirmations < 1)
    throw new UsageError(`--confirmations must be at least 1, got ${confirmations}`);
  if (!Number.isInteger(pendingTimeout) || pendingTimeout < 1)
    throw new UsageError(`--pending-timeout must be at least 1 (seconds), got ${pendingTimeout}`);
  let maxFeePerGas: bigint | undefined;
  if (r.maxFeeGwei !== undefined) {
    try {
      maxFeePerGas = parseUnits(r.maxFeeGwei, "gwei");
    } catch {
      maxFeePerGas = undefined;
    }
    if (!maxFeePerGas || maxFeePerGas <= 0n)
      throw new UsageError(
        `--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "${r.maxFeeGwei.slice(0, 80)}"`,
      );
  }
  return { confirmations, pendingTimeoutMs: pendingTimeout * 1000, maxFeePerGas, retries: Math.max(1, r.retries ?? 8) };
}

/** The planning options from user-facing values; a bad one is a UsageError before anything runs. */
export function planOptions(r: Pick<PlanRequest, "maxBatches">): { maxBatches?: number } {
  checkMaxBatches(r.maxBatches);
  return { maxBatches: r.maxBatches };
}

function deploymentOf(d: string | DeploymentManifest): DeploymentManifest {
  return typeof d === "string" ? readDeployment(d) : d;
}

/** The input file of a request: `file`, or `applications` written once to a private JSON file. */
function inputOf(r: RunRequest, runsDir: string): string | undefined {
  if (r.file && r.applications) throw new UsageError("pass either file or applications, not both");
  if (!r.applications) return r.file;
  const json =
    JSON.stringify(
      r.applications.map((a) => ({
        applicantId: String(a.applicantId),
        score: String(a.score),
        ...(a.salt === undefined ? {} : { salt: String(a.salt) }),
      })),
      null,
      1,
    ) + "\n";
  const dir = path.join(runsDir, "inputs");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${crypto.createHash("sha256").update(json).digest("hex").slice(0, 16)}.json`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, json, { mode: 0o600 });
  return file;
}

function sessionOptions(
  r: RunRequest & { maxBatches?: number },
  provider: Provider,
  mustExist: boolean,
): RunSessionOptions {
  const runsDir = path.resolve(r.runsDir ?? "runs");
  return {
    deployment: deploymentOf(r.deployment),
    provider,
    policyId: r.policyId,
    input: inputOf(r, runsDir),
    run: r.run,
    runsDir,
    newRun: r.newRun,
    skipAttested: r.skipAttested,
    mustExist,
    maxBatches: mustExist ? undefined : r.maxBatches,
    onEvent: r.onEvent,
  };
}

/**
 * Validates the applications and plans the run against the anchor's state (salts, commitments, the
 * chain of expected states, written to the run folder); proves nothing. An existing run is loaded.
 */
export async function plan(r: PlanRequest): Promise<PlanResult> {
  planOptions(r);
  const session = await openRunSession(sessionOptions(r, r.provider, false));
  r.onEvent?.(planReadyEvent(session.plan, session.store, session.created));
  return session;
}

/** Validates the applications, plans the run against the anchor's state and proves every batch (resumable). */
export async function prove(r: ProveRequest): Promise<ProveResult> {
  planOptions(r);
  queueOptions(r);
  const session = await openRunSession(sessionOptions(r, r.provider, false));
  const proving = await proveRun(session.plan, session.store, proveOptions(r, session));
  return { ...session, proving };
}

/** A bad --queue URL is a UsageError before anything runs. */
export function queueOptions(r: Pick<ProveRequest, "queue">): void {
  if (r.queue !== undefined) parseQueueUrl(r.queue, "--queue");
}

/** How a session's batches are proven: local worker processes, or the Redis queue. */
function proveOptions(
  r: Pick<ProveRequest, "concurrency" | "queue" | "queueName" | "onEvent">,
  s: RunSession,
): ProveOptions {
  const keyId = provingKeyId(s.plan.profile);
  const options: ProveOptions = { concurrency: r.concurrency || defaultConcurrency(), onEvent: r.onEvent, keyId };
  if (r.queue === undefined) return options;
  const url = r.queue;
  options.via = `the Redis queue "${r.queueName ?? DEFAULT_QUEUE_NAME}" at ${parseQueueUrl(url).display}`;
  options.runJobs = async (jobs, count, hooks) => {
    // Loaded only with a queue: BullMQ and the verifier keys are not needed otherwise.
    const { runQueue } = await import("./pipeline/proving/queue");
    const { verifyBatchProofs } = await import("./pipeline/proving/snark-verify");
    const { terminateCurves } = await import("./snark");
    try {
      await runQueue(jobs, count, {
        url,
        queueName: r.queueName,
        runId: s.plan.runId,
        keyId,
        verify: verifyBatchProofs,
        onStart: hooks.onStart,
        onProved: hooks.onProved,
        shouldStop: hooks.shouldStop,
        onEvent: (event) => r.onEvent?.({ type: "queue", event }),
      });
    } finally {
      await terminateCurves(); // the results were verified with snarkjs in this process
    }
  };
  return options;
}

function providerOf(signer: Signer): Provider {
  if (!signer.provider) throw new UsageError("the signer has no provider", "connect it: signer.connect(provider)");
  return signer.provider;
}

/** The submitter's options from a request and its checked values (submitOptions). */
function submitRunOptions(r: SubmitRequest, o: ReturnType<typeof submitOptions>): SubmitOptions {
  return {
    confirmations: o.confirmations,
    pendingTimeoutMs: o.pendingTimeoutMs,
    maxFeePerGas: o.maxFeePerGas,
    retry: { attempts: o.retries },
    pollMs: r.pollMs ?? 500,
    onEvent: r.onEvent,
    afterAttested: r.afterAttested,
  };
}

/** Submits a proven run's batches in nonce order (idempotent, resumable); never proves. */
export async function submit(r: SubmitRequest, session?: RunSession): Promise<SubmitResult> {
  const o = submitOptions(r);
  const provider = providerOf(r.signer);
  const s = session ?? (await openRunSession(sessionOptions(r, provider, true)));
  const client = new EthersAnchorClient(s.context.anchor, r.signer, provider);
  const submission = await submitRun(s.plan, s.store, client, submitRunOptions(r, o));
  return { ...s, submission };
}

/**
 * Plans (or loads) the run, then proves and submits at the same time: batch k is sent as soon as
 * batches 0..k are proven and verified, while later batches are still proving (resumable).
 */
export async function attest(r: AttestRequest): Promise<AttestResult> {
  const o = submitOptions(r); // bad submit options stop the run before anything is proven
  planOptions(r);
  queueOptions(r);
  const provider = providerOf(r.signer);
  const s = await openRunSession(sessionOptions(r, provider, false));
  const client = new EthersAnchorClient(s.context.anchor, r.signer, provider);
  const { proving, submission } = await proveAndSubmit(
    s.plan,
    s.store,
    client,
    proveOptions(r, s),
    submitRunOptions(r, o),
  );
  return { ...s, proving, submission };
}

export interface StatusReport {
  chainId: bigint;
  anchor: string;
  /** The deployments file's profile when it names this anchor. */
  profile: string | null;
  /** Whether the code at the address is the one the deployments file recorded (null without one). */
  codeMatchesManifest: boolean | null;
  view: AnchorView & { blockNumber: number };
  paused: boolean;
  /** What the audit would flag about the registry (verifier keys, guests, parameters, delays). */
  flags: Check[];
}

/** The anchor's state and policies, and what the audit would flag; from `address` or the deployments file. */
export async function status(r: {
  provider: Provider;
  address?: string;
  deployment?: string | DeploymentManifest;
  minPolicyDelay?: number;
}): Promise<StatusReport> {
  const d = r.deployment === undefined ? undefined : deploymentOf(r.deployment);
  const address = r.address ?? d?.contracts.stateAnchor.address;
  if (!address) throw new UsageError("no anchor to show", "pass --address <anchor>, or --deployment <file>");
  const chainId = (await r.provider.getNetwork()).chainId;
  if (d && !r.address && d.chainId !== chainId.toString())
    throw new ZklaError(
      "wrong-network",
      `the deployment manifest is for chain ${d.chainId}, the network is chain ${chainId}`,
      `pass --network ${d.network ?? "<the network it was deployed on>"}, or --address <anchor>`,
    );
  await assertContractAt(r.provider, address);
  const sameAnchor = d !== undefined && d.contracts.stateAnchor.address.toLowerCase() === address.toLowerCase();
  const [view, paused, code] = await Promise.all([
    readAnchorView(address, r.provider),
    anchorReader(address, r.provider).paused().then(Boolean),
    r.provider.getCode(address),
  ]);
  return {
    chainId,
    anchor: address,
    profile: sameAnchor ? d.profile : null,
    codeMatchesManifest: sameAnchor ? keccak256(code) === d.contracts.stateAnchor.codeHash : null,
    view,
    paused,
    flags: await trustFlags(r.provider, address, {
      fromBlock: sameAnchor ? d.contracts.stateAnchor.blockNumber : undefined,
      minPolicyDelay: r.minPolicyDelay,
    }),
  };
}
