/**
 * Proving a planned run in parallel: batches whose proof file matches the plan are reused; the
 * others go to the worker pool; each verified proof is written atomically as soon as it arrives,
 * so an interrupted run loses at most the batches that were in flight.
 */
import os from "node:os";
import { expectedPolicySignals, expectedZkvmSignals } from "../run/plan";
import { runPool, type PoolJob } from "./pool";
import type { RunStore } from "../run/store";
import type { EventSink } from "../events";
import type { BatchProofs, PlannedBatch, ProveJob, RunContext, RunPlan, StoredBatch } from "../types";
import fs from "node:fs";
import crypto from "node:crypto";
import { circuitPaths, type Profile } from "../../paths";

export interface ProveOptions {
  /** Worker processes; default os.cpus().length. */
  concurrency?: number;
  /** Module exporting createProver() (default: the snarkjs prover, src/pipeline/snark-prover). */
  proverModule?: string;
  onEvent?: EventSink;
  /**
   * Identifies the proving keys (e.g. a hash of both verification keys: provingKeyId(profile)); a
   * stored proof made with other keys (the circuits were rebuilt) is proven again.
   */
  keyId?: string;
  /** Called once per batch whose verified proof is in the store (reused or new): streaming submission waits on it. */
  onStored?: (index: number) => void;
  /** Where runJobs proves, for the prove-start event (e.g. 'the Redis queue "zkla-proving" at redis://host:6379/0'). */
  via?: string;
  /** Checked before each new job is handed out: true stops scheduling (the submission failed). */
  shouldStop?: () => boolean;
  /**
   * Another way to run the jobs than the in-process pool (e.g. the Redis queue,
   * src/pipeline/proving/queue.ts); it must call onProved only with verified proofs.
   */
  runJobs?: (
    jobs: Iterable<PoolJob>,
    count: number,
    hooks: {
      onStart: (index: number) => void;
      onProved: (index: number, proofs: BatchProofs, ms: number) => void;
      /** True once no new job should start (the submission failed). */
      shouldStop: () => boolean;
    },
  ) => Promise<void>;
}

export interface ProveSummary {
  proved: number;
  reused: number;
  ms: number;
  /** Sum of per-batch proving times of the batches proven now (CPU-side work, excl. reuse). */
  batchMs: number;
}

/** sha256 over the profile's two verification keys: changes whenever the circuits are rebuilt. */
export function provingKeyId(profile: Profile): string {
  const h = crypto.createHash("sha256");
  for (const c of ["policy", "zkvm"]) h.update(fs.readFileSync(circuitPaths(c, profile).vkey));
  return h.digest("hex");
}

export function defaultConcurrency(): number {
  return Math.max(1, os.cpus().length);
}

export function proveJob(plan: RunContext, b: PlannedBatch): ProveJob {
  return {
    index: b.index,
    fingerprint: b.fingerprint,
    profile: plan.profile,
    batchSize: plan.batchSize,
    threshold: plan.threshold.toString(),
    domain: plan.domain.toString(),
    prevRoot: b.prevRoot.toString(),
    nonce: b.nonce.toString(),
    methodId: plan.methodId.toString(),
    applications: b.applications.map((a) => ({
      applicantId: a.applicantId.toString(),
      score: a.score.toString(),
      salt: a.salt.toString(),
    })),
  };
}

/** A batch's job with the public signals its proofs must have (those the anchor will build). */
export function poolJob(plan: RunContext, b: PlannedBatch): PoolJob {
  return {
    job: proveJob(plan, b),
    expectedPolicySignals: expectedPolicySignals(b, plan.threshold).map(String),
    expectedZkvmSignals: expectedZkvmSignals(plan, b).map(String),
  };
}

export async function proveRun(plan: RunPlan, store: RunStore, options: ProveOptions = {}): Promise<ProveSummary> {
  const emit: EventSink = options.onEvent ?? (() => {});
  const t0 = Date.now();
  const concurrency = options.concurrency ?? defaultConcurrency();
  const todo: number[] = [];
  let reused = 0;
  // Read once (not once per reused batch: that is quadratic in the run's size on every resume).
  const manifest = store.readManifest();
  for (const b of plan.batches) {
    const stored = store.loadBatch(b);
    if (stored && (options.keyId === undefined || stored.keyId === options.keyId)) {
      reused++;
      emit({ type: "batch-reused", index: b.index });
      const entry = manifest.batches[b.index];
      if (entry.status === "planned")
        store.updateBatch(b.index, { status: "proved", proofFile: relative(store, b.index) });
      options.onStored?.(b.index);
      continue;
    }
    if (fs.existsSync(store.batchFile(b.index))) emit({ type: "batch-stale", index: b.index });
    todo.push(b.index);
  }
  emit({
    type: "prove-start",
    total: plan.batches.length,
    toProve: todo.length,
    reused,
    concurrency,
    ...(options.via ? { via: options.via } : {}),
  });
  let batchMs = 0;
  // Jobs are made one at a time as provers become free: memory holds the batches in flight, not the run.
  function* jobs(): Generator<PoolJob> {
    for (const index of todo) {
      if (options.shouldStop?.()) return;
      yield poolJob(plan, store.readBatch(index));
    }
  }
  const onProved = (index: number, proofs: BatchProofs, ms: number) => {
    const b = plan.batches[index];
    store.saveBatch({
      ...storedBatch(plan, store.readBatch(b.index), proofs, ms),
      ...(options.keyId !== undefined ? { keyId: options.keyId } : {}),
    });
    store.updateBatch(index, { status: "proved", proofFile: relative(store, index) });
    batchMs += ms;
    emit({ type: "batch-proved", index, ms, policyMs: proofs.policyMs, zkvmMs: proofs.zkvmMs });
    options.onStored?.(index);
  };
  const onStart = (index: number) => emit({ type: "batch-proving", index });
  const shouldStop = () => options.shouldStop?.() ?? false;
  if (options.runJobs) await options.runJobs(jobs(), todo.length, { onStart, onProved, shouldStop });
  else
    await runPool(jobs(), todo.length, {
      concurrency,
      proverModule: options.proverModule ?? require.resolve("./snark-prover"),
      onStart,
      onProved,
    });
  const ms = Date.now() - t0;
  emit({ type: "prove-done", proved: todo.length, reused, ms });
  return { proved: todo.length, reused, ms, batchMs };
}

function relative(store: RunStore, index: number): string {
  return store.batchFile(index).slice(store.dir.length + 1);
}

function storedBatch(plan: RunPlan, b: PlannedBatch, proofs: BatchProofs, ms: number): StoredBatch {
  return {
    version: 1,
    runId: plan.runId,
    index: b.index,
    nonce: b.nonce.toString(),
    prevRoot: b.prevRoot.toString(),
    newRoot: b.newRoot.toString(),
    fingerprint: b.fingerprint,
    tapeDigest: b.outcome.tapeDigest.toString(),
    decisionBits: b.outcome.decisionBits.toString(),
    activeCount: b.outcome.activeCount,
    commitments: b.outcome.commitments.map(String),
    proofs,
    provedAt: new Date().toISOString(),
    proveMs: ms,
  };
}
