import type { StoredFees } from "./submission/fees";
import type { QueueEvent } from "./proving/queue";

/** Events the pipeline emits; the CLI renders them (progress bar, log lines or JSON lines). */
export type PipelineEvent =
  | {
      type: "run-created";
      runId: string;
      dir: string;
      batches: number;
      applications: number;
      startNonce: string;
      generatedSalts: number;
      /** --max-batches (null: the whole file was planned). */
      maxBatches: number | null;
      /** Rows of the file not planned (left for a later run by --max-batches). */
      rowsLeft: number;
      /** --skip-attested: rows left out as already attested on the anchor / planned in an unfinished run. */
      skippedAttested: number;
      skippedPlanned: number;
    }
  | { type: "plan-progress"; batches: number; applications: number; total: number }
  | {
      type: "run-loaded";
      runId: string;
      dir: string;
      batches: number;
      applications: number;
      startNonce: string;
      maxBatches: number | null;
      rowsLeft: number;
    }
  | {
      /** anchor:prove --plan-only (the script API's plan()): the run is planned, nothing was proven. */
      type: "plan-ready";
      runId: string;
      dir: string;
      /** False when the run existed already (it was loaded, not planned again). */
      created: boolean;
      batches: number;
      applications: number;
      rowsLeft: number;
      /** Anchor nonces of the first and last batch (decimal). */
      firstNonce: string;
      lastNonce: string;
      /** The anchor's root expected after the last batch (0x-hex, 32 bytes). */
      finalRoot: string;
      /** The files written in dir. */
      files: string[];
    }
  | {
      type: "prove-start";
      total: number;
      toProve: number;
      reused: number;
      concurrency: number;
      /** Where the proofs are made when not in local processes (the queue's address). */
      via?: string;
    }
  | { type: "batch-reused"; index: number }
  | { type: "batch-stale"; index: number }
  | { type: "batch-proving"; index: number }
  | { type: "batch-proved"; index: number; ms: number; policyMs: number; zkvmMs: number }
  | { type: "prove-done"; proved: number; reused: number; ms: number }
  | { type: "submit-start"; total: number; anchorNonce: string }
  /** Streaming (anchor:attest): the submitter waits for the proof of the next batch in nonce order. */
  | { type: "batch-awaiting-proof"; index: number }
  | { type: "batch-already-attested"; index: number; nonce: string }
  | { type: "batch-pending"; index: number; nonce: string; txHash?: string }
  | { type: "batch-sent"; index: number; nonce: string; txHash: string; accountNonce: number }
  | {
      /** A transaction of this batch stayed pending: it is being replaced with higher fees. */
      type: "batch-fee-bumped";
      index: number;
      nonce: string;
      accountNonce: number;
      replaces?: string;
      fees: StoredFees;
    }
  | {
      type: "batch-attested";
      index: number;
      nonce: string;
      txHash: string;
      gasUsed: string;
      blockNumber: number;
      decisions: number;
    }
  | { type: "submit-done"; sent: number; skipped: number; finalNonce: string; finalRoot: string }
  | { type: "retry"; what: string; attempt: number; delayMs: number; message: string }
  /** Proving through the Redis queue (--queue): what the queue reported. */
  | { type: "queue"; event: QueueEvent };

export type EventSink = (e: PipelineEvent) => void;
