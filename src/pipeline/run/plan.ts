/**
 * Planning: split applications (in input order) into batches of the policy's batch size, sort each
 * batch by applicantId (the policy circuit proves the ids of a batch strictly increase, which makes
 * them distinct), and compute, sequentially and cheaply (reference TypeScript only), each batch's
 * outcome and the chain of expected anchor states (nonce, previous root, new root). Proving and
 * submission both follow this plan; slots, receipts, commitments and decision bits follow the sorted
 * order. Batches are written to the run store as they are planned (src/pipeline/run/store.ts PlanWriter).
 */
import crypto from "node:crypto";
import { byApplicantId, type Application } from "../../tape";
import type { SaltedApplication } from "./input";
import type { PlannedBatch, PolicyModel, RunContext, RunHeader, RunPlan, SkippedRows, StateModel } from "../types";

/** Where planned batches go (the run store's PlanWriter, possibly with the ledger). */
export interface PlanSink {
  add(batch: PlannedBatch, saltGenerated: readonly boolean[], policyId: bigint): void;
  commit(header: RunHeader): RunPlan;
}

export interface PlanInput {
  runId: string;
  source: { file: string; sha256: string };
  context: RunContext;
  start: { nonce: bigint; root: bigint };
  /** The applications to plan, in input order: batch k gets the k-th N of them, sorted by applicantId (with --max-batches: only the file's first rows). */
  applications: Iterable<SaltedApplication>;
  /** --max-batches and the rows of the file it left out (recorded in the plan). */
  limit?: { maxBatches: number; rowsLeft: number };
  /** --skip-attested: rows of the file left out as already on the anchor (recorded in the plan). */
  skipped?: SkippedRows;
  /** Called after each planned batch (progress). */
  onBatch?: (batches: number, applications: number) => void;
}

/**
 * Plans the run into `writer` batch by batch (one batch in memory at a time) and commits it.
 * Returns the committed plan.
 */
export function planRun(
  input: PlanInput,
  policy: PolicyModel,
  state: StateModel,
  writer: PlanSink,
  now = new Date(),
): RunPlan {
  const { context } = input;
  if (policy.batchSize !== context.batchSize) {
    throw new Error(
      `batch size mismatch: the policy model has ${policy.batchSize}, the run context ${context.batchSize}`,
    );
  }
  let prevRoot = input.start.root;
  let nonce = input.start.nonce;
  let index = 0;
  let applications = 0;
  let pending: SaltedApplication[] = [];
  const flush = () => {
    // Slot order = applicantId order; saltGenerated below follows the same order.
    pending.sort(byApplicantId);
    const apps: Application[] = pending.map(({ applicantId, score, salt }) => ({ applicantId, score, salt }));
    const outcome = policy.evaluate(apps, context.threshold);
    const newRoot = state.nextStateRoot({
      domain: context.domain,
      prevRoot,
      nonce,
      policyId: context.policyId,
      methodId: context.methodId,
      outcome,
    });
    const batch = { index, nonce, prevRoot, newRoot, applications: apps, outcome };
    writer.add(
      { ...batch, fingerprint: fingerprint(context, batch) },
      pending.map((a) => a.saltGenerated),
      context.policyId,
    );
    applications += apps.length;
    input.onBatch?.(index + 1, applications);
    prevRoot = newRoot;
    nonce += 1n;
    index++;
    pending = [];
  };
  for (const app of input.applications) {
    pending.push(app);
    if (pending.length === context.batchSize) flush();
  }
  if (pending.length) flush();
  return writer.commit({
    version: 2,
    runId: input.runId,
    createdAt: now.toISOString(),
    source: input.source,
    ...context,
    startNonce: input.start.nonce,
    startRoot: input.start.root,
    ...(input.limit ? { maxBatches: input.limit.maxBatches, rowsLeft: input.limit.rowsLeft } : {}),
    ...(input.skipped ? { skipped: input.skipped } : {}),
  });
}

/** Root the anchor must hold before the batch with this nonce (or after the last batch). */
export function expectedRootAt(plan: RunPlan, nonce: bigint): bigint | undefined {
  const offset = nonce - plan.startNonce;
  if (offset < 0n || offset > BigInt(plan.batches.length)) return undefined;
  if (offset === BigInt(plan.batches.length)) return plan.batches[plan.batches.length - 1]?.newRoot ?? plan.startRoot;
  return plan.batches[Number(offset)].prevRoot;
}

export function finalRoot(plan: RunPlan): bigint {
  return plan.batches.length ? plan.batches[plan.batches.length - 1].newRoot : plan.startRoot;
}

function fingerprint(context: RunContext, b: Omit<PlannedBatch, "fingerprint" | "index">): string {
  const canonical = JSON.stringify(
    {
      chainId: context.chainId,
      anchor: context.anchor.toLowerCase(),
      domain: context.domain,
      policyId: context.policyId,
      methodId: context.methodId,
      threshold: context.threshold,
      profile: context.profile,
      batchSize: context.batchSize,
      nonce: b.nonce,
      prevRoot: b.prevRoot,
      newRoot: b.newRoot,
      tape: b.applications,
      outcome: b.outcome,
    },
    (_k, v) => (typeof v === "bigint" ? v.toString() : v),
  );
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

/** The expected public signals, in the orders of docs/architecture.md (what the anchor will build). */
export function expectedPolicySignals(batch: PlannedBatch, threshold: bigint): bigint[] {
  const o = batch.outcome;
  return [o.tapeDigest, o.decisionBits, BigInt(o.activeCount), ...o.commitments, threshold];
}

export function expectedZkvmSignals(plan: RunContext, batch: PlannedBatch): bigint[] {
  const o = batch.outcome;
  return [
    plan.methodId,
    o.tapeDigest,
    plan.domain,
    batch.prevRoot,
    batch.nonce,
    plan.threshold,
    2n,
    o.decisionBits,
    BigInt(o.activeCount),
  ];
}
