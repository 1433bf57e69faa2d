/**
 * The run folder (runs/<runId>/ by default):
 *   plan.json         the run's header and one short entry per batch (nonce, roots, fingerprint,
 *                     where the batch is in batches.jsonl); written last: it is the commit point
 *   batches.jsonl     one planned batch per line, incl. every application's score and salt  SECRET
 *   receipts.csv      one row per application: applicantId, score, salt,    SECRET (the lender's record)
 *                     saltGenerated, commitment, batch, slot, nonce, policyId,
 *                     decision, txHash (filled when a submission finishes or stops)
 *   journal.jsonl     append-only log of batch status changes (planned, proved, sent, attested) and
 *                     transaction data; one fsync'd line per change, so an update costs O(1)
 *   batches/batch-NNNN.json   one proof file per batch (public data only)
 * Planning streams: batches are appended to batches.jsonl and receipts.csv as they are planned, so
 * memory holds one batch at a time plus the short per-batch entries. A crash before plan.json is
 * written leaves no run (the next attempt starts over); a torn last journal line (a crash mid-append)
 * is cut off when the run is opened. Secret files are created with mode 0600, the folder with 0700.
 * Proof files are the source of truth for proving; the chain is the source of truth for submission;
 * the journal records what happened.
 *
 * A run folder written by an earlier version (plan.json holding every batch, manifest.json) is
 * converted the first time it is opened.
 */
import fs from "node:fs";
import path from "node:path";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../../files";
import type { StoredFees } from "../submission/fees";
import type { BatchHead, PlannedBatch, RunHeader, RunPlan, StoredBatch } from "../types";

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

/** The status of every batch, as replayed from journal.jsonl. */
export interface RunManifest {
  version: 2;
  runId: string;
  batches: ManifestBatch[];
}

/** A line of journal.jsonl: the batch index and the fields that changed (undefined: field cleared). */
type JournalLine = { i: number } & { [K in keyof ManifestBatch]?: ManifestBatch[K] | null };

export class RunStore {
  private state?: { manifest: RunManifest; journalBytes: number };
  private plan?: RunPlan;

  constructor(readonly dir: string) {}

  get planFile(): string {
    return path.join(this.dir, "plan.json");
  }
  get batchesFile(): string {
    return path.join(this.dir, "batches.jsonl");
  }
  get journalFile(): string {
    return path.join(this.dir, "journal.jsonl");
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

  /**
   * Starts planning a new run into this folder: batches and receipts rows are appended as they are
   * planned; commit() writes plan.json and the journal. Nothing exists as a run before commit().
   */
  begin(): PlanWriter {
    fs.mkdirSync(path.join(this.dir, "batches"), { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
    fs.rmSync(this.journalFile, { force: true });
    return new PlanWriter(this);
  }

  /** Called by PlanWriter.commit(). */
  committed(plan: RunPlan): void {
    this.plan = plan;
    this.state = undefined;
  }

  loadPlan(): RunPlan {
    if (this.plan) return this.plan;
    const j = readJson<Json>(this.planFile);
    if (j.version === 1) migrateV1(this, j);
    this.plan = planFromJson(readJson<Json>(this.planFile));
    return this.plan;
  }

  /** The full planned batch (applications, outcome), read from batches.jsonl. */
  readBatch(index: number): PlannedBatch {
    const head = this.loadPlan().batches[index];
    if (!head) throw new Error(`run ${this.plan?.runId} in ${this.dir} has no batch ${index}`);
    const line = readBytes(this.batchesFile, head.offset, head.length);
    const b = batchFromLine(line);
    if (b.batch.fingerprint !== head.fingerprint || b.batch.index !== index)
      throw new Error(`${this.batchesFile}: batch ${index} does not match plan.json (the run folder was edited)`);
    return b.batch;
  }

  /** Every planned batch in order, one at a time (with which salts this tool drew). */
  *readBatches(): Generator<{ batch: PlannedBatch; saltGenerated: boolean[] }> {
    const plan = this.loadPlan();
    const fd = fs.openSync(this.batchesFile, "r");
    try {
      for (const head of plan.batches) {
        const buf = Buffer.alloc(head.length);
        fs.readSync(fd, buf, 0, head.length, head.offset);
        yield batchFromLine(buf.toString("utf8"));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The status of every batch (replays journal.jsonl; only the bytes appended since the last call are read). */
  readManifest(): RunManifest {
    return structuredClone(this.live());
  }

  /** The status of one batch: O(1) apart from the journal lines appended since the last read. */
  batchStatus(index: number): ManifestBatch {
    const entry = this.live().batches[index];
    if (!entry) throw new Error(`run ${this.loadPlan().runId} in ${this.dir} has no batch ${index}`);
    return { ...entry };
  }

  /** The replayed state itself (not a copy), brought up to date with the journal's new lines. */
  private live(): RunManifest {
    const plan = this.loadPlan();
    if (!this.state) {
      this.state = {
        journalBytes: 0,
        manifest: {
          version: 2,
          runId: plan.runId,
          batches: plan.batches.map((b) => ({
            index: b.index,
            nonce: b.nonce.toString(),
            fingerprint: b.fingerprint,
            status: "planned",
          })),
        },
      };
      cutTornTail(this.journalFile);
    }
    const size = fs.existsSync(this.journalFile) ? fs.statSync(this.journalFile).size : 0;
    if (size > this.state.journalBytes) {
      const text = readBytes(this.journalFile, this.state.journalBytes, size - this.state.journalBytes);
      const end = text.lastIndexOf("\n") + 1; // a line still being written by another process waits
      for (const line of text.slice(0, end).split("\n")) if (line) apply(this.state.manifest, JSON.parse(line));
      this.state.journalBytes += Buffer.byteLength(text.slice(0, end));
    }
    return this.state.manifest;
  }

  /** Records a change of one batch: one fsync'd journal line. */
  updateBatch(index: number, change: Partial<ManifestBatch>): void {
    const m = this.live();
    if (!m.batches[index]) throw new Error(`run ${m.runId} has no batch ${index}`);
    const line: JournalLine = { i: index };
    for (const [k, v] of Object.entries(change)) (line as Record<string, unknown>)[k] = v === undefined ? null : v;
    const bytes = Buffer.from(JSON.stringify(line) + "\n");
    const fd = fs.openSync(this.journalFile, "a", 0o600);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    apply(this.state!.manifest, line);
    this.state!.journalBytes += bytes.length;
  }

  /**
   * Rewrites receipts.csv (atomically, mode 0600) from batches.jsonl and the journal: every batch
   * recorded as attested gets its transaction hash. One pass, one batch in memory at a time.
   */
  syncReceipts(): void {
    const plan = this.loadPlan();
    const manifest = this.live();
    const tmp = `${this.receiptsFile}.${process.pid}.tmp`;
    const out = new LineWriter(tmp, 0o600);
    out.write(RECEIPTS_HEADER + "\n");
    for (const { batch, saltGenerated } of this.readBatches()) {
      const m = manifest.batches[batch.index];
      out.write(receiptRows(plan, batch, saltGenerated, m.status === "attested" ? (m.txHash ?? "") : ""));
    }
    out.close();
    fs.renameSync(tmp, this.receiptsFile);
  }

  /** The stored proof of a batch when it exists and matches the planned batch; undefined otherwise. */
  loadBatch(batch: Pick<BatchHead, "index" | "fingerprint">): StoredBatch | undefined {
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

/** Appends planned batches to batches.jsonl and receipts.csv; commit() makes them a run. */
export class PlanWriter {
  private readonly batches: LineWriter;
  private readonly receipts: LineWriter;
  private readonly heads: BatchHead[] = [];
  private offset = 0;
  private applications = 0;
  private generated = 0;

  constructor(private readonly store: RunStore) {
    this.batches = new LineWriter(store.batchesFile, 0o600);
    this.receipts = new LineWriter(store.receiptsFile, 0o600);
    this.receipts.write(RECEIPTS_HEADER + "\n");
  }

  /** Appends one batch (and its receipts rows, which need the header for policyId: given per call). */
  add(batch: PlannedBatch, saltGenerated: readonly boolean[], policyId: bigint): void {
    const line = batchToLine(batch, saltGenerated);
    const length = Buffer.byteLength(line);
    this.batches.write(line + "\n");
    this.heads.push({
      index: batch.index,
      nonce: batch.nonce,
      prevRoot: batch.prevRoot,
      newRoot: batch.newRoot,
      fingerprint: batch.fingerprint,
      size: batch.applications.length,
      activeCount: batch.outcome.activeCount,
      offset: this.offset,
      length,
    });
    this.offset += length + 1;
    this.applications += batch.applications.length;
    this.generated += saltGenerated.filter(Boolean).length;
    this.receipts.write(receiptRows({ policyId }, batch, saltGenerated, ""));
  }

  get count(): { batches: number; applications: number; generatedSalts: number } {
    return { batches: this.heads.length, applications: this.applications, generatedSalts: this.generated };
  }

  /** fsyncs batches.jsonl and receipts.csv, then writes plan.json (the commit point). */
  commit(header: RunHeader): RunPlan {
    this.batches.close();
    this.receipts.close();
    const plan: RunPlan = { ...header, applications: this.applications, batches: this.heads };
    writeJsonAtomic(this.store.planFile, planToJson(plan), 0o600);
    this.store.committed(plan);
    return plan;
  }

  /** Closes the files without making a run (planning failed). */
  abort(): void {
    this.batches.close();
    this.receipts.close();
  }
}

/** Buffered appends to a new file (truncated), fsync'd on close. */
class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(file: string, mode: number) {
    this.fd = fs.openSync(file, "w", mode);
  }

  write(text: string): void {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffer.length) fs.writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

/** Header of receipts.csv: the first eight columns are the original ones, the last three were appended. */
export const RECEIPTS_HEADER =
  "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce,policyId,decision,txHash";

/**
 * The receipts rows of one batch: decision is known at planning (bit `slot` of the batch's planned
 * decisionBits), txHash only once the batch is attested (empty before).
 */
function receiptRows(
  plan: { policyId: bigint },
  b: PlannedBatch,
  saltGenerated: readonly boolean[],
  txHash: string,
): string {
  let out = "";
  b.applications.forEach((a, slot) => {
    out +=
      [
        a.applicantId,
        a.score,
        a.salt,
        saltGenerated[slot] === undefined ? "" : saltGenerated[slot] ? "yes" : "no",
        b.outcome.commitments[slot],
        b.index,
        slot,
        b.nonce,
        plan.policyId,
        (b.outcome.decisionBits >> BigInt(slot)) & 1n ? "approved" : "denied",
        txHash,
      ].join(",") + "\n";
  });
  return out;
}

function apply(m: RunManifest, line: JournalLine): void {
  const entry = m.batches[line.i] as unknown as Record<string, unknown>;
  if (!entry) return; // a journal line of another plan (cannot happen: the journal is reset with the plan)
  for (const [k, v] of Object.entries(line)) {
    if (k === "i") continue;
    if (v === null) delete entry[k];
    else entry[k] = v;
  }
}

/** Removes a partial last line (a crash during an append) so that later appends start on a new line. */
export function cutTornTail(file: string): void {
  if (!fs.existsSync(file)) return;
  const size = fs.statSync(file).size;
  if (size === 0) return;
  const fd = fs.openSync(file, "r+");
  try {
    const tail = Buffer.alloc(Math.min(size, 64 * 1024));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) return;
    const lastNewline = tail.lastIndexOf(0x0a);
    const keep = lastNewline < 0 ? size - tail.length : size - tail.length + lastNewline + 1;
    fs.ftruncateSync(fd, keep);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readBytes(file: string, offset: number, length: number): string {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

type Json = Record<string, unknown>;
const big = (v: unknown) => BigInt(v as string);

function batchToLine(b: PlannedBatch, saltGenerated: readonly boolean[]): string {
  return JSON.stringify({
    index: b.index,
    nonce: b.nonce.toString(),
    prevRoot: b.prevRoot.toString(),
    newRoot: b.newRoot.toString(),
    fingerprint: b.fingerprint,
    applications: b.applications.map((a) => [a.applicantId.toString(), a.score.toString(), a.salt.toString()]),
    saltGenerated: saltGenerated.map((g) => (g ? 1 : 0)),
    outcome: {
      tapeDigest: b.outcome.tapeDigest.toString(),
      decisionBits: b.outcome.decisionBits.toString(),
      activeCount: b.outcome.activeCount,
      commitments: b.outcome.commitments.map(String),
    },
  });
}

function batchFromLine(line: string): { batch: PlannedBatch; saltGenerated: boolean[] } {
  const j = JSON.parse(line) as Json;
  const o = j.outcome as Json;
  return {
    batch: {
      index: j.index as number,
      nonce: big(j.nonce),
      prevRoot: big(j.prevRoot),
      newRoot: big(j.newRoot),
      fingerprint: j.fingerprint as string,
      applications: (j.applications as string[][]).map(([applicantId, score, salt]) => ({
        applicantId: BigInt(applicantId),
        score: BigInt(score),
        salt: BigInt(salt),
      })),
      outcome: {
        tapeDigest: big(o.tapeDigest),
        decisionBits: big(o.decisionBits),
        activeCount: o.activeCount as number,
        commitments: (o.commitments as string[]).map(big),
      },
    },
    saltGenerated: ((j.saltGenerated as number[] | undefined) ?? []).map((g) => g === 1),
  };
}

export function planToJson(plan: RunPlan): Json {
  return JSON.parse(JSON.stringify(plan, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

export function planFromJson(j: Json): RunPlan {
  return {
    version: 2,
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
    ...(j.skipped ? { skipped: j.skipped as RunPlan["skipped"] } : {}),
    applications: j.applications as number,
    batches: (j.batches as Json[]).map((b) => ({
      index: b.index as number,
      nonce: big(b.nonce),
      prevRoot: big(b.prevRoot),
      newRoot: big(b.newRoot),
      fingerprint: b.fingerprint as string,
      size: b.size as number,
      activeCount: b.activeCount as number,
      offset: b.offset as number,
      length: b.length as number,
    })),
  };
}

/**
 * Converts a run folder of the first format (plan.json with every batch, manifest.json) in place:
 * batches.jsonl and journal.jsonl are written from them, then plan.json is replaced (the commit
 * point), then manifest.json is removed. receipts.csv is kept; its saltGenerated column is read back.
 */
function migrateV1(store: RunStore, j: Json): void {
  const generated = new Map<string, boolean>();
  if (fs.existsSync(store.receiptsFile)) {
    const lines = fs.readFileSync(store.receiptsFile, "utf8").trim().split("\n");
    const cols = lines[0].split(",");
    const id = cols.indexOf("applicantId");
    const g = cols.indexOf("saltGenerated");
    for (const line of lines.slice(1)) {
      const f = line.split(",");
      if (f[g] === "yes" || f[g] === "no") generated.set(f[id], f[g] === "yes");
    }
  }
  const batchesText: string[] = [];
  const heads: Json[] = [];
  let offset = 0;
  let applications = 0;
  for (const b of j.batches as Json[]) {
    const o = b.outcome as Json;
    const apps = (b.applications as Json[]).map((a) => ({
      applicantId: big(a.applicantId),
      score: big(a.score),
      salt: big(a.salt),
    }));
    const batch: PlannedBatch = {
      index: b.index as number,
      nonce: big(b.nonce),
      prevRoot: big(b.prevRoot),
      newRoot: big(b.newRoot),
      fingerprint: b.fingerprint as string,
      applications: apps,
      outcome: {
        tapeDigest: big(o.tapeDigest),
        decisionBits: big(o.decisionBits),
        activeCount: o.activeCount as number,
        commitments: (o.commitments as string[]).map(big),
      },
    };
    const line = batchToLine(
      batch,
      apps.map((a) => generated.get(a.applicantId.toString()) ?? false),
    );
    const length = Buffer.byteLength(line);
    batchesText.push(line + "\n");
    heads.push({
      index: batch.index,
      nonce: b.nonce,
      prevRoot: b.prevRoot,
      newRoot: b.newRoot,
      fingerprint: batch.fingerprint,
      size: apps.length,
      activeCount: batch.outcome.activeCount,
      offset,
      length,
    });
    offset += length + 1;
    applications += apps.length;
  }
  writeFileAtomic(store.batchesFile, batchesText.join(""), 0o600);
  const manifestFile = path.join(store.dir, "manifest.json");
  const journal: string[] = [];
  if (fs.existsSync(manifestFile)) {
    for (const m of readJson<{ batches: ManifestBatch[] }>(manifestFile).batches) {
      const { index, nonce: _n, fingerprint: _f, ...rest } = m;
      if (rest.status !== "planned") journal.push(JSON.stringify({ i: index, ...rest }) + "\n");
    }
  }
  writeFileAtomic(store.journalFile, journal.join(""), 0o600);
  writeJsonAtomic(store.planFile, { ...j, version: 2, applications, batches: heads }, 0o600);
  fs.rmSync(manifestFile, { force: true });
}
