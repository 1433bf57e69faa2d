/**
 * Test doubles for the pipeline's interfaces: a reference policy model built from the shared
 * tape/Poseidon definitions, a sha256 state model, and an in-memory anchor with fault injection.
 * The fake prover (fake-prover.ts) runs in real worker processes.
 */
import crypto from "node:crypto";
import { commitment } from "../../src/policy";
import { batchTapeDigest, type Application } from "../../src/tape";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import {
  RevertError,
  type AnchorClient,
  type AnchorState,
  type AttestCall,
  type BatchOutcome,
  type PolicyModel,
  type StateModel,
  type StateTransition,
  type SentTx,
  type SuggestedFees,
  type TxFees,
  type TxReceiptInfo,
} from "../../src/pipeline/types";

export const BATCH_SIZE = 4;

export function fakeEvaluate(batch: readonly Application[], threshold: bigint, batchSize = BATCH_SIZE): BatchOutcome {
  let bits = 0n;
  const commitments = new Array<bigint>(batchSize).fill(0n);
  batch.forEach((a, i) => {
    if (a.score <= threshold) bits |= 1n << BigInt(i);
    commitments[i] = commitment(a);
  });
  return {
    tapeDigest: batchTapeDigest(batch, batchSize),
    decisionBits: bits,
    activeCount: batch.length,
    commitments,
  };
}

export const fakePolicy: PolicyModel = { batchSize: BATCH_SIZE, scoreBits: 32, evaluate: (b, t) => fakeEvaluate(b, t) };

export function fakeNextRoot(t: StateTransition): bigint {
  const h = crypto.createHash("sha256");
  h.update(
    JSON.stringify([t.domain, t.prevRoot, t.nonce, t.policyId, t.methodId, t.outcome], (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    ),
  );
  return BigInt("0x" + h.digest("hex"));
}
export const fakeState: StateModel = { nextStateRoot: fakeNextRoot };

/** Deterministic fake proof words bound to every public value (what the fake anchor "verifies"). */
export function fakeProofWords(kind: string, signals: readonly (bigint | string)[], n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    (
      BigInt(
        "0x" +
          crypto
            .createHash("sha256")
            .update(`${kind}:${i}:${signals.join(",")}`)
            .digest("hex"),
      ) % SNARK_SCALAR_FIELD
    ).toString(),
  );
}

export interface FakeAnchorOptions {
  domain: bigint;
  policyId: bigint;
  methodId: bigint;
  threshold: bigint;
}

type Fault = "transient" | "drop-after-send";

/** An in-memory anchor + account: automine, optional fault injection, snapshots. */
export class FakeAnchor implements AnchorClient {
  readonly address = "0x00000000000000000000000000000000000a0c40";
  nonce = 0n;
  root = 0n;
  block = 1;
  accountTxs = 0;
  sent: { hash: string; call: AttestCall; accountNonce: number; fees: TxFees }[] = [];
  /** What suggestedFees() answers (and the fees of a send without explicit fees). */
  feeSuggestion: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } = {
    maxFeePerGas: 30_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  };
  receipts = new Map<string, TxReceiptInfo>();
  faults: Partial<Record<keyof AnchorClient | "any", Fault[]>> = {};
  /** When set, the next sends stay pending until mine() is called. */
  holdMining = false;
  pending: { hash: string; call: AttestCall; accountNonce: number; fees: TxFees }[] = [];
  /** Hashes of pending transactions that a replacement pushed out of the mempool. */
  dropped: string[] = [];
  calls: Record<string, number> = {};

  constructor(readonly opts: FakeAnchorOptions) {}

  private fault(method: keyof AnchorClient): Fault | undefined {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    return this.faults[method]?.shift() ?? this.faults.any?.shift();
  }
  private transient(): Error {
    return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  }

  check(call: AttestCall): void {
    if (call.expectedNonce !== this.nonce)
      throw new RevertError({ name: "NonceMismatch", args: [call.expectedNonce, this.nonce], detail: "" });
    if (call.policyId !== this.opts.policyId)
      throw new RevertError({ name: "UnknownPolicy", args: [call.policyId], detail: "" });
    const b = call.batch;
    const policySignals = [b.tapeDigest, b.decisionBits, b.activeCount, ...b.commitments, this.opts.threshold];
    const zkvmSignals = [
      this.opts.methodId,
      b.tapeDigest,
      this.opts.domain,
      this.root,
      this.nonce,
      this.opts.threshold,
      2n,
      b.decisionBits,
      b.activeCount,
    ];
    const same = (a: bigint[], w: string[]) => a.length === w.length && a.every((x, i) => x === BigInt(w[i]));
    if (!same(call.policyProof, fakeProofWords("policy", policySignals, 24)))
      throw new RevertError({ name: "InvalidPolicyProof", args: [], detail: "" });
    if (!same(call.zkvmProof, fakeProofWords("zkvm", zkvmSignals, 8)))
      throw new RevertError({ name: "InvalidZkvmProof", args: [], detail: "" });
  }

  private apply(call: AttestCall): void {
    const outcome = {
      tapeDigest: call.batch.tapeDigest,
      decisionBits: call.batch.decisionBits,
      activeCount: Number(call.batch.activeCount),
      commitments: call.batch.commitments,
    };
    this.root = fakeNextRoot({ ...this.opts, prevRoot: this.root, nonce: this.nonce, outcome });
    this.nonce++;
  }

  private mineOne(hash: string, call: AttestCall): void {
    let status = 1;
    try {
      this.check(call);
      this.apply(call);
    } catch {
      status = 0;
    }
    this.block++;
    this.accountTxs++;
    this.receipts.set(hash, { hash, blockNumber: this.block, status, gasUsed: 500_000n });
  }

  mine(): void {
    for (const p of this.pending.splice(0)) this.mineOne(p.hash, p.call);
  }

  async readState(): Promise<AnchorState> {
    if (this.fault("readState")) throw this.transient();
    return { nonce: this.nonce, root: this.root };
  }
  async preflight(call: AttestCall): Promise<void> {
    if (this.fault("preflight")) throw this.transient();
    this.check(call);
  }
  /** Like geth: a pending transaction is replaced only by one paying >= 10% more on every fee field. */
  async send(call: AttestCall, accountNonce: number, fees?: TxFees): Promise<SentTx> {
    const f = this.fault("send");
    if (f === "transient") throw this.transient();
    const used: TxFees = fees ?? { ...this.feeSuggestion };
    if (accountNonce < this.accountTxs) throw new Error("nonce too low");
    const replaced = this.pending.findIndex((p) => p.accountNonce === accountNonce);
    if (replaced >= 0) {
      const old = this.pending[replaced].fees;
      const enough = (a: bigint, b: bigint) => a * 10n >= b * 11n;
      const ok =
        "gasPrice" in old || "gasPrice" in used
          ? "gasPrice" in old && "gasPrice" in used && enough(used.gasPrice, old.gasPrice)
          : enough(used.maxFeePerGas, old.maxFeePerGas) && enough(used.maxPriorityFeePerGas, old.maxPriorityFeePerGas);
      if (!ok) throw new Error("replacement transaction underpriced");
      this.dropped.push(this.pending[replaced].hash);
      this.pending.splice(replaced, 1);
    } else if (accountNonce !== this.accountTxs + this.pending.length) {
      throw new Error(`nonce gap: expected ${this.accountTxs + this.pending.length}, got ${accountNonce}`);
    }
    const hash = "0x" + crypto.createHash("sha256").update(`${accountNonce}:${this.sent.length}`).digest("hex");
    this.sent.push({ hash, call, accountNonce, fees: used });
    if (this.holdMining) this.pending.push({ hash, call, accountNonce, fees: used });
    else this.mineOne(hash, call);
    if (f === "drop-after-send") throw this.transient();
    return { hash, fees: used };
  }
  async suggestedFees(): Promise<SuggestedFees> {
    if (this.fault("suggestedFees")) throw this.transient();
    return { ...this.feeSuggestion };
  }
  async accountNonce(tag: "latest" | "pending"): Promise<number> {
    if (this.fault("accountNonce")) throw this.transient();
    return tag === "latest" ? this.accountTxs : this.accountTxs + this.pending.length;
  }
  async receipt(hash: string): Promise<TxReceiptInfo | null> {
    if (this.fault("receipt")) throw this.transient();
    return this.receipts.get(hash) ?? null;
  }
  async blockNumber(): Promise<number> {
    if (this.fault("blockNumber")) throw this.transient();
    return this.block;
  }

  snapshot(): { nonce: bigint; root: bigint; block: number; receipts: Map<string, TxReceiptInfo> } {
    return { nonce: this.nonce, root: this.root, block: this.block, receipts: new Map(this.receipts) };
  }
  revertTo(s: ReturnType<FakeAnchor["snapshot"]>): void {
    this.nonce = s.nonce;
    this.root = s.root;
    this.block = s.block;
    this.receipts = s.receipts;
  }
}
