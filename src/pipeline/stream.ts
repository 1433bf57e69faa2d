/**
 * Streaming prove-and-submit (anchor:attest): proving runs in the background while the submitter
 * sends batch k as soon as batches 0..k are proven, verified and stored. A proof is stored before
 * its batch can be sent, so a crash between proving and submission loses nothing: the next run
 * reuses every stored proof and the submitter resumes from the anchor's nonce.
 */
import { proveRun, type ProveOptions, type ProveSummary } from "./proving/prove";
import { submitRun, type SubmitOptions, type SubmitSummary } from "./submission/submit";
import type { RunStore } from "./run/store";
import type { AnchorClient, RunPlan } from "./types";

/** Which batches have a verified proof in the store; the submitter waits on it. */
export class ProofFeed {
  private readonly ready = new Set<number>();
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }[]>();
  /** Set when proving ended: its error, or null when it ended without one. */
  private ended?: Error | null;

  stored(index: number): void {
    this.ready.add(index);
    for (const w of this.waiting.get(index) ?? []) w.resolve();
    this.waiting.delete(index);
  }

  /** Proving ended: whoever still waits will not get a proof (the proving error, or "not proven"). */
  end(error?: Error): void {
    this.ended = error ?? null;
    for (const [index, ws] of this.waiting) for (const w of ws) w.reject(this.reason(index));
    this.waiting.clear();
  }

  wait(index: number): Promise<void> {
    if (this.ready.has(index)) return Promise.resolve();
    if (this.ended !== undefined) return Promise.reject(this.reason(index));
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(index) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(index, list);
    });
  }

  private reason(index: number): Error {
    return this.ended ?? new Error(`batch ${index} was not proven: proving ended without it`);
  }
}

export interface StreamSummary {
  proving: ProveSummary;
  submission: SubmitSummary;
}

/**
 * Proves and submits a planned run at the same time. When submission fails, no new proving job is
 * started (those in flight finish and are stored) and the submission's error is thrown; when proving
 * fails, the batches before the failed one are still submitted, then the proving error is thrown.
 */
export async function proveAndSubmit(
  plan: RunPlan,
  store: RunStore,
  client: AnchorClient,
  prove: ProveOptions,
  submit: SubmitOptions,
): Promise<StreamSummary> {
  const feed = new ProofFeed();
  let stop = false;
  const proving = proveRun(plan, store, {
    ...prove,
    onStored: (i) => {
      prove.onStored?.(i);
      feed.stored(i);
    },
    shouldStop: () => stop || (prove.shouldStop?.() ?? false),
  }).then(
    (summary) => {
      feed.end();
      return summary;
    },
    (err: Error) => {
      feed.end(err);
      throw err;
    },
  );
  const submission = submitRun(plan, store, client, { ...submit, proofReady: (i) => feed.wait(i) }).catch(
    (err: Error) => {
      stop = true;
      throw err;
    },
  );
  const [p, s] = await Promise.allSettled([proving, submission]);
  if (s.status === "rejected") throw s.reason;
  if (p.status === "rejected") throw p.reason;
  return { proving: p.value, submission: s.value };
}
