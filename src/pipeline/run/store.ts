/**
 * The run folder (runs/<runId>/ by default):
 *   plan.json         the plan, incl. every application's score and salt    SECRET
 *   receipts.csv      one row per application: applicantId, score, salt,    SECRET (the lender's record)
 *                     saltGenerated, commitment, batch, slot, nonce, policyId,
 *                     decision, txHash (empty until the batch is attested)
 *   manifest.json     status of each batch (planned, proved, sent, attested) and transaction data
 *   batches/batch-NNNN.json   one proof file per batch (public data only)
 * Every file is written atomically (src/files.ts). Secret files are created with mode 0600
 * and the folder with 0700. Proof files are the source of truth for proving; the chain is the
 * source of truth for submission; the manifest records what happened.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../../files";
import type { SaltedApplication } from "./input";
import type { StoredFees } from "../submission/fees";
import type { PlannedBatch, RunPlan, StoredBatch } from "../types";

export type BatchStatus = "planned" | "proved" | "sent" | "attested";

export interface ManifestBatch {
  index: number;
  nonce: string;
  fingerprint: string;
  status: BatchStatus;
  proofFile?: string;
  txHash?: string;
  accountNonce?: number;
  /** Fees of the transaction txHash (decimal wei), so that a stuck one can be replaced. */
  fees?: StoredFees;
  blockNumber?: number;
  gasUsed?: string;
}

export interface RunManifest {
  version: 1;
  runId: string;
  updatedAt: string;
  batches: ManifestBatch[];
}

export class RunStore {
  constructor(readonly dir: string) {}

  get planFile(): string {
    return path.join(this.dir, "plan.json");
  }
  get manifestFile(): string {
    return path.join(this.dir, "manifest.json");
  }
  get receiptsFile(): string {
    return path.join(this.dir, "receipts.csv");
  }
  batchFile(index: number): string {
    return path.join(this.dir, "batches", `batch-${String(index).padStart(4, "0")}.json`);
  }

  exists(): boolean {
    return fs.existsSync(this.planFile);
  }

  /** Creates the folder and writes plan, receipts and a fresh manifest (plan first: it is the commit point). */
  create(plan: RunPlan, applications: readonly SaltedApplication[]): void {
    fs.mkdirSync(path.join(this.dir, "batches"), { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
    const generated = new Map(applications.map((a) => [a.applicantId.toString(), a.saltGenerated ? "yes" : "no"]));
    writeFileAtomic(this.receiptsFile, receiptsCsv(plan, generated, new Map()), 0o600);
    writeJsonAtomic(this.planFile, planToJson(plan), 0o600);
    this.writeManifest({
      version: 1,
      runId: plan.runId,
      updatedAt: new Date().toISOString(),
      batches: plan.batches.map((b) => ({
        index: b.index,
        nonce: b.nonce.toString(),
        fingerprint: b.fingerprint,
        status: "planned",
      })),
    });
  }

  loadPlan(): RunPlan {
    return planFromJson(readJson(this.planFile));
  }

  readManifest(): RunManifest {
    return readJson<RunManifest>(this.manifestFile);
  }

  writeManifest(m: RunManifest): void {
    writeJsonAtomic(this.manifestFile, { ...m, updatedAt: new Date().toISOString() });
  }

  updateBatch(index: number, change: Partial<ManifestBatch>): void {
    const m = this.readManifest();
    const entry = m.batches.find((b) => b.index === index);
    if (!entry) throw new Error(`manifest of run ${m.runId} has no batch ${index}`);
    Object.assign(entry, change);
    this.writeManifest(m);
  }

  /**
   * Rewrites receipts.csv (atomically, mode 0600) from the plan and the manifest: every batch the
   * manifest records as attested gets its transaction hash. The saltGenerated column is kept from
   * the current file (empty when the file is gone or unreadable: it is then rebuilt from plan.json).
   * Also upgrades a receipts file written before the policyId/decision/txHash columns existed.
   */
  syncReceipts(plan: RunPlan): void {
    const generated = new Map<string, string>();
    try {
      const rows = parse(fs.readFileSync(this.receiptsFile, "utf8"), {
        columns: true,
        skip_empty_lines: true,
      }) as Record<string, string>[];
      for (const r of rows) generated.set(r.applicantId, r.saltGenerated ?? "");
    } catch {
      // Gone or unreadable: rebuilt from plan.json (which holds the same scores and salts).
    }
    const txHashes = new Map<number, string>();
    for (const b of this.readManifest().batches)
      if (b.status === "attested" && b.txHash) txHashes.set(b.index, b.txHash);
    writeFileAtomic(this.receiptsFile, receiptsCsv(plan, generated, txHashes), 0o600);
  }

  /** The stored proof of a batch when it exists and matches the planned batch; undefined otherwise. */
  loadBatch(batch: PlannedBatch): StoredBatch | undefined {
    const file = this.batchFile(batch.index);
    if (!fs.existsSync(file)) return undefined;
    let stored: StoredBatch;
    try {
      stored = readJson<StoredBatch>(file);
    } catch {
      return undefined; // unreadable (cannot happen with atomic writes, but never trust it): prove again
    }
    return stored.fingerprint === batch.fingerprint ? stored : undefined;
  }

  saveBatch(stored: StoredBatch): void {
    writeJsonAtomic(this.batchFile(stored.index), stored);
  }
}

/** Header of receipts.csv: the first eight columns are the original ones, the last three were appended. */
export const RECEIPTS_HEADER =
  "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce,policyId,decision,txHash";

/**
 * One row per application: decision is known at planning (bit `slot` of the batch's planned
 * decisionBits), txHash only once the batch is attested (empty before).
 */
function receiptsCsv(plan: RunPlan, saltGenerated: Map<string, string>, txHashes: Map<number, string>): string {
  const lines = [RECEIPTS_HEADER];
  for (const b of plan.batches) {
    b.applications.forEach((a, slot) => {
      lines.push(
        [
          a.applicantId,
          a.score,
          a.salt,
          saltGenerated.get(a.applicantId.toString()) ?? "",
          b.outcome.commitments[slot],
          b.index,
          slot,
          b.nonce,
          plan.policyId,
          (b.outcome.decisionBits >> BigInt(slot)) & 1n ? "approved" : "denied",
          txHashes.get(b.index) ?? "",
        ].join(","),
      );
    });
  }
  return lines.join("\n") + "\n";
}

type Json = Record<string, unknown>;

export function planToJson(plan: RunPlan): Json {
  return JSON.parse(JSON.stringify(plan, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

export function planFromJson(j: Json): RunPlan {
  const big = (v: unknown) => BigInt(v as string);
  const batches = (j.batches as Json[]).map((b) => {
    const o = b.outcome as Json;
    return {
      index: b.index as number,
      nonce: big(b.nonce),
      prevRoot: big(b.prevRoot),
      newRoot: big(b.newRoot),
      fingerprint: b.fingerprint as string,
      applications: (b.applications as Json[]).map((a) => ({
        applicantId: big(a.applicantId),
        score: big(a.score),
        salt: big(a.salt),
      })),
      outcome: {
        tapeDigest: big(o.tapeDigest),
        decisionBits: big(o.decisionBits),
        activeCount: o.activeCount as number,
        commitments: (o.commitments as string[]).map(big),
      },
    };
  });
  return {
    version: 1,
    runId: j.runId as string,
    createdAt: j.createdAt as string,
    source: j.source as RunPlan["source"],
    chainId: big(j.chainId),
    anchor: j.anchor as string,
    domain: big(j.domain),
    policyId: big(j.policyId),
    methodId: big(j.methodId),
    threshold: big(j.threshold),
    profile: j.profile as RunPlan["profile"],
    batchSize: j.batchSize as number,
    scoreBits: j.scoreBits as number,
    startNonce: big(j.startNonce),
    startRoot: big(j.startRoot),
    ...(typeof j.maxBatches === "number" ? { maxBatches: j.maxBatches, rowsLeft: (j.rowsLeft as number) ?? 0 } : {}),
    batches,
  };
}
