/**
 * Submission strictly in nonce order, resumable and idempotent.
 *
 * For each planned batch, the anchor's (nonce, root) is read first:
 *   - nonce above the batch: already attested (by an earlier run); the root must be the plan's root
 *     at that nonce, else the chain diverged and the run stops;
 *   - nonce below the batch: the chain went back (revert/reorg): continue from the batch at that nonce;
 *   - nonce equal: the root must be the batch's planned previous root; then a transaction this run
 *     sent earlier (manifest) is looked for; otherwise preflight (eth_call), send with an explicit
 *     account nonce, wait for N confirmations, and check the anchor moved to the planned root.
 * One batch is in flight at a time (one ordered queue), so account nonces never race. Transient
 * RPC errors are retried with backoff; a revert stops the run with the decoded custom error.
 * Each attested batch's transaction hash is written to the receipts rows of its applications.
 */
import { AnchorRevertError, ChainDivergedError } from "../errors";
import { expectedRootAt, finalRoot } from "../run/plan";
import { loadFees, replacementFees, storeFees } from "./fees";
import { DEFAULT_RETRY, isTransient, sleep, withRetry, type RetryOptions } from "../util";
import type { RunStore } from "../run/store";
import type { EventSink } from "../events";
import {
  RevertError,
  type AnchorClient,
  type AttestCall,
  type BatchHead,
  type RunPlan,
  type StoredBatch,
  type TxFees,
  type TxReceiptInfo,
} from "../types";

export interface SubmitOptions {
  confirmations?: number;
  retry?: Partial<RetryOptions>;
  /** Receipt/state polling interval. */
  pollMs?: number;
  /**
   * How long to wait for a sent transaction before sending again: a transaction still pending then
   * is replaced (same account nonce, fees 12.5% higher; src/pipeline/submission/fees.ts).
   */
  pendingTimeoutMs?: number;
  /** The most a replacement may pay per gas (wei, the fee cap or gas price); unbounded when absent. */
  maxFeePerGas?: bigint;
  onEvent?: EventSink;
  /**
   * Streaming (anchor:attest): resolves when batch `index`'s verified proof is in the store, rejects
   * when it never will be (proving failed). Without it every proof must exist before anything is sent.
   */
  proofReady?: (index: number) => Promise<void>;
  /** Called after each batch is attested and recorded (the CLI's crash-test hook uses it). */
  afterAttested?: (index: number) => void | Promise<void>;
}

export interface SubmitSummary {
  sent: number;
  skipped: number;
  gasUsed: bigint;
  decisionsSent: number;
  finalNonce: bigint;
  finalRoot: bigint;
}

export function attestCall(plan: RunPlan, stored: StoredBatch): AttestCall {
  return {
    policyId: plan.policyId,
    expectedNonce: BigInt(stored.nonce),
    batch: {
      tapeDigest: BigInt(stored.tapeDigest),
      decisionBits: BigInt(stored.decisionBits),
      activeCount: BigInt(stored.activeCount),
      commitments: stored.commitments.map(BigInt),
    },
    policyProof: stored.proofs.policyProof.map(BigInt),
    zkvmProof: stored.proofs.zkvmProof.map(BigInt),
  };
}

/** How often receipts.csv is brought up to date during a long submission. */
const RECEIPTS_SYNC_MS = 5 * 60_000;

const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

export async function submitRun(
  plan: RunPlan,
  store: RunStore,
  client: AnchorClient,
  options: SubmitOptions = {},
): Promise<SubmitSummary> {
  const emit: EventSink = options.onEvent ?? (() => {});
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry, onRetry: (i) => emit({ type: "retry", ...i }) };
  const confirmations = options.confirmations ?? 1;
  const pollMs = options.pollMs ?? 1000;
  const pendingTimeoutMs = options.pendingTimeoutMs ?? 120_000;
  const r = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, retry);
  const summary: SubmitSummary = { sent: 0, skipped: 0, gasUsed: 0n, decisionsSent: 0, finalNonce: 0n, finalRoot: 0n };

  // Without a proof feed (anchor:submit) every proof must exist before anything is sent: a gap would
  // stall the chain mid-run. With one (anchor:attest, streaming) batch k waits for its own proof only.
  if (!options.proofReady) {
    for (const b of plan.batches) {
      if (!store.loadBatch(b))
        throw new Error(
          `batch ${b.index} (nonce ${b.nonce}) has no proof matching the plan in ${store.dir}; run anchor:prove first`,
        );
    }
  }
  const proofOf = async (b: BatchHead): Promise<StoredBatch> => {
    if (options.proofReady) {
      emit({ type: "batch-awaiting-proof", index: b.index });
      await options.proofReady(b.index);
    }
    const stored = store.loadBatch(b);
    if (!stored)
      throw new Error(
        `batch ${b.index} (nonce ${b.nonce}) has no proof matching the plan in ${store.dir}; run anchor:prove first`,
      );
    return stored;
  };
  // receipts.csv gets the attested batches' transaction hashes every few minutes and when submission
  // ends (the journal is the live record; rewriting the file per batch would be quadratic).
  let receiptsSyncedAt = Date.now();
  const syncReceiptsNow = () => {
    store.syncReceipts();
    receiptsSyncedAt = Date.now();
  };
  const syncReceiptsSometimes = () => {
    if (Date.now() - receiptsSyncedAt > RECEIPTS_SYNC_MS) syncReceiptsNow();
  };
  try {
    return await submitInOrder();
  } finally {
    syncReceiptsNow(); // also fills rows a run stopped before recording
  }

  async function submitInOrder(): Promise<SubmitSummary> {
    const initial = await r("read anchor state", () => client.readState());
    emit({ type: "submit-start", total: plan.batches.length, anchorNonce: initial.nonce.toString() });

    const diverged = (nonce: bigint, root: bigint, why: string) =>
      new ChainDivergedError(
        `the anchor at ${client.address} is at nonce ${nonce} with root ${hex(root)}, but ${why}. ` +
          `The chain diverged from run ${plan.runId}: nothing more was sent. Inspect it with anchor:status, then plan a new run (--new-run).`,
      );

    let i = 0;
    let rounds = 0;
    while (i < plan.batches.length) {
      const b = plan.batches[i];
      if (++rounds > plan.batches.length * 4 + retry.attempts * 4) {
        throw new Error(
          `submission is not making progress at batch ${i} (nonce ${b.nonce}); check the RPC endpoint and the account, then run again`,
        );
      }
      const state = await r("read anchor state", () => client.readState());
      if (state.nonce < plan.startNonce) {
        throw diverged(state.nonce, state.root, `this run starts at nonce ${plan.startNonce}`);
      }
      const expected = expectedRootAt(plan, state.nonce);
      if (expected === undefined) {
        throw diverged(
          state.nonce,
          state.root,
          `this run ends at nonce ${plan.startNonce + BigInt(plan.batches.length)} (another submitter?)`,
        );
      }
      if (expected !== state.root) {
        throw diverged(state.nonce, state.root, `the plan expects root ${hex(expected)} at that nonce`);
      }
      if (state.nonce > b.nonce) {
        const m = store.batchStatus(i);
        if (m.status !== "attested") {
          // Attested, but not recorded (a stop between mining and recording): keep the transaction
          // an earlier attempt sent when its receipt shows it succeeded (it carried this nonce).
          const rec = m.txHash ? await r("get receipt", () => client.receipt(m.txHash!)) : null;
          store.updateBatch(
            i,
            rec?.status === 1
              ? { status: "attested", blockNumber: rec.blockNumber, gasUsed: rec.gasUsed.toString() }
              : { status: "attested", txHash: undefined },
          );
        }
        emit({ type: "batch-already-attested", index: i, nonce: b.nonce.toString() });
        summary.skipped++;
        i++;
        continue;
      }
      if (state.nonce < b.nonce) {
        // The chain went back (reorg or revert): resume from the first batch it no longer has.
        i = Number(state.nonce - plan.startNonce);
        continue;
      }
      const receipt = await sendOrResume(b, await proofOf(b));
      if (receipt === "retry") continue;
      const after = await r("read anchor state", () => client.readState());
      if (after.nonce === b.nonce) continue; // rolled back before we looked: go round again
      if (after.nonce < b.nonce + 1n || expectedRootAt(plan, after.nonce) !== after.root) {
        throw diverged(
          after.nonce,
          after.root,
          `after batch ${i} the plan expects nonce ${b.nonce + 1n} with root ${hex(b.newRoot)}`,
        );
      }
      store.updateBatch(i, {
        status: "attested",
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed.toString(),
      });
      emit({
        type: "batch-attested",
        index: i,
        nonce: b.nonce.toString(),
        txHash: receipt.hash,
        gasUsed: receipt.gasUsed.toString(),
        blockNumber: receipt.blockNumber,
        decisions: b.activeCount,
      });
      summary.sent++;
      summary.gasUsed += receipt.gasUsed;
      summary.decisionsSent += b.activeCount;
      syncReceiptsSometimes();
      await options.afterAttested?.(i);
      i++;
    }
    const last = await r("read anchor state", () => client.readState());
    summary.finalNonce = last.nonce;
    summary.finalRoot = last.root;
    if (last.root !== finalRoot(plan))
      throw diverged(last.nonce, last.root, `the plan ends with root ${hex(finalRoot(plan))}`);
    emit({
      type: "submit-done",
      sent: summary.sent,
      skipped: summary.skipped,
      finalNonce: last.nonce.toString(),
      finalRoot: hex(last.root),
    });
    return summary;
  }

  /**
   * Gets batch b (whose nonce the anchor is at) mined: first a transaction an earlier attempt sent,
   * else a new one. Returns the confirmed receipt, or "retry" to re-read the chain first.
   */
  async function sendOrResume(b: BatchHead, stored: StoredBatch): Promise<TxReceiptInfo | "retry"> {
    const call = attestCall(plan, stored);
    const entry = store.batchStatus(b.index);
    if (entry.status === "sent" && entry.accountNonce !== undefined) {
      const outcome = await awaitEarlier(b, entry.txHash, entry.accountNonce);
      if (outcome !== "resend") return outcome;
    }
    try {
      await r("preflight (eth_call)", () => client.preflight(call));
    } catch (err) {
      throw asRevert(b, err);
    }
    const pending = await r("read account nonce", () => client.accountNonce("pending"));
    let accountNonce = pending;
    let fees: TxFees | undefined;
    if (entry.status === "sent" && entry.accountNonce !== undefined) {
      // Resending: reuse the earlier transaction's account nonce while it is unmined, so that at most
      // one of the two can ever be mined.
      const latest = await r("read account nonce", () => client.accountNonce("latest"));
      if (latest <= entry.accountNonce) {
        accountNonce = entry.accountNonce;
        // Still in the mempool after pendingTimeoutMs (fees too low): replace it with higher fees,
        // which nodes require of a replacement.
        if (pending > entry.accountNonce && entry.fees) {
          const suggested = await r("read fee data", () => client.suggestedFees());
          fees = replacementFees(loadFees(entry.fees), suggested, options.maxFeePerGas);
          emit({
            type: "batch-fee-bumped",
            index: b.index,
            nonce: b.nonce.toString(),
            accountNonce,
            replaces: entry.txHash,
            fees: storeFees(fees),
          });
        }
      }
    }
    // Recorded before sending: if we crash after the send, the next run knows a transaction may be
    // out, and with which fees (a later replacement must outbid them).
    store.updateBatch(b.index, {
      status: "sent",
      accountNonce,
      txHash: undefined,
      ...(fees ? { fees: storeFees(fees) } : {}),
    });
    let hash: string;
    try {
      const sent = await client.send(call, accountNonce, fees);
      hash = sent.hash;
      const used = sent.fees ?? fees;
      if (used) store.updateBatch(b.index, { fees: storeFees(used) });
    } catch (err) {
      if (err instanceof RevertError) throw asRevert(b, err);
      if (
        isTransient(err) ||
        /already known|known transaction|nonce too low|replacement transaction underpriced|nonce has already been used/i.test(
          String((err as Error).message),
        )
      ) {
        // It may have reached the node: find out from the chain rather than sending twice.
        emit({ type: "retry", what: "send attest", attempt: 1, delayMs: pollMs, message: (err as Error).message });
        await sleep(pollMs);
        return "retry";
      }
      throw err;
    }
    store.updateBatch(b.index, { status: "sent", accountNonce, txHash: hash });
    emit({ type: "batch-sent", index: b.index, nonce: b.nonce.toString(), txHash: hash, accountNonce });
    const receipt = await waitConfirmed(hash, pendingTimeoutMs);
    if (receipt === "gone") return "retry";
    if (receipt.status !== 1) {
      // Mined but reverted (the state changed between preflight and mining): decode it with a new preflight.
      try {
        await r("preflight (eth_call)", () => client.preflight(call));
      } catch (err) {
        throw asRevert(b, err);
      }
      return "retry";
    }
    return receipt;
  }

  /** A transaction recorded as sent by an earlier attempt: wait for it, or say it must be sent again. */
  async function awaitEarlier(
    b: BatchHead,
    txHash: string | undefined,
    accountNonce: number,
  ): Promise<TxReceiptInfo | "retry" | "resend"> {
    if (txHash) {
      const rec = await r("get receipt", () => client.receipt(txHash));
      if (rec) {
        emit({ type: "batch-pending", index: b.index, nonce: b.nonce.toString(), txHash });
        const confirmed = await waitConfirmed(txHash, pendingTimeoutMs);
        return confirmed === "gone" ? "retry" : confirmed.status === 1 ? confirmed : "resend";
      }
    }
    const latest = await r("read account nonce", () => client.accountNonce("latest"));
    const pending = await r("read account nonce", () => client.accountNonce("pending"));
    if (latest <= accountNonce && pending > accountNonce) {
      // Our transaction is still in the mempool: wait for the anchor to move rather than send a second one.
      emit({ type: "batch-pending", index: b.index, nonce: b.nonce.toString(), txHash });
      const deadline = Date.now() + pendingTimeoutMs;
      while (Date.now() < deadline) {
        await sleep(pollMs);
        const s = await r("read anchor state", () => client.readState());
        if (s.nonce !== b.nonce) return "retry";
        if ((await r("read account nonce", () => client.accountNonce("latest"))) > accountNonce) return "retry";
      }
    }
    return "resend";
  }

  /** Polls the receipt until it has `confirmations` blocks; "gone" when it vanished (reorg) or never appeared. */
  async function waitConfirmed(hash: string, timeoutMs: number): Promise<TxReceiptInfo | "gone"> {
    const deadline = Date.now() + timeoutMs;
    let seen = false;
    for (;;) {
      const rec = await r("get receipt", () => client.receipt(hash));
      if (rec) {
        seen = true;
        if (rec.status !== 1) return rec;
        const head = await r("get block number", () => client.blockNumber());
        if (head - rec.blockNumber + 1 >= confirmations) return rec;
      } else if (seen || Date.now() > deadline) {
        return "gone";
      }
      await sleep(pollMs);
    }
  }
}

function asRevert(b: BatchHead, err: unknown): Error {
  if (err instanceof RevertError)
    return new AnchorRevertError(b.index, err.revert.name, err.revert.args, err.revert.detail);
  return err as Error;
}
