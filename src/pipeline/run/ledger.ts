/**
 * The lender's ledger of one anchor: which applications (by applicantId) it planned, in which run
 * and batch, so that no application is attested twice on that anchor.
 *
 * File: <runsDir>/ledger/<chainId>-<anchor>-<deployment block hash, 16 hex digits>.jsonl, append-only,
 * one fsync'd line per event:
 *   {"t":"planned","run":R,"batch":i,"ids":["7","12",...]}   written while run R is planned
 *   {"t":"abandoned","run":R}                                 R's unattested batches will never be sent
 * Whether a planned batch is attested is read from its run's journal (the run store), so the ledger
 * is never out of step with what the submitter recorded. Lines of a run whose plan was never
 * committed (a crash while planning) are ignored: that run does not exist.
 *
 * An application is
 *   attested  when its batch is attested in its run;
 *   planned   when its run exists, is not abandoned, and the batch is not attested yet;
 *   free      otherwise (its run was abandoned, or never committed, before its batch was attested).
 */
import fs from "node:fs";
import path from "node:path";
import { ZklaError } from "../../errors";
import { cutTornTail, RunStore } from "./store";

export type LedgerStatus = "attested" | "planned";

export interface LedgerEntry {
  applicantId: bigint;
  status: LedgerStatus;
  run: string;
  batch: number;
  /** The attest transaction (attested only, when recorded). */
  txHash?: string;
}

/** A row of an input file that is already on the anchor. */
export interface KnownRow extends LedgerEntry {
  row: number;
}

/** The input holds applications already attested on this anchor, or planned in an unfinished run. */
export class AlreadyOnAnchorError extends ZklaError {
  constructor(
    readonly source: string,
    readonly anchor: string,
    readonly rows: KnownRow[],
  ) {
    const shown = rows
      .slice(0, 10)
      .map(
        (r) =>
          `  row ${r.row} (applicantId ${r.applicantId}): ${r.status === "attested" ? "attested" : "planned, not attested yet,"} in run ${r.run}, batch ${r.batch}` +
          (r.txHash ? `, tx ${r.txHash}` : ""),
      );
    if (rows.length > 10) shown.push(`  and ${rows.length - 10} more (--json lists them all)`);
    const attested = rows.filter((r) => r.status === "attested").length;
    super(
      "already-on-anchor",
      `${rows.length} application(s) of ${source} are already on anchor ${anchor} ` +
        `(${attested} attested, ${rows.length - attested} planned in an unfinished run); nothing was planned:\n` +
        shown.join("\n"),
      "an application is attested at most once: remove those rows, or pass --skip-attested to plan only the new rows " +
        "(rows planned in an unfinished run are attested when that run is continued)",
    );
  }
}

export class Ledger {
  readonly file: string;

  /**
   * `instance` tells apart two anchors at the same address on two chains with the same id (a local
   * node restarted, the in-process network of each `npm run demo`): the hash of the block the anchor
   * was deployed in. Without it the ledger is keyed by chain id and address alone.
   */
  constructor(
    readonly runsDir: string,
    chainId: bigint,
    readonly anchor: string,
    instance?: string,
  ) {
    const suffix = instance ? `-${instance.replace(/^0x/, "").slice(0, 16)}` : "";
    this.file = path.join(runsDir, "ledger", `${chainId}-${anchor.toLowerCase()}${suffix}.jsonl`);
  }

  /** The applications of `ids` already on the anchor (attested, or planned in an unfinished run). */
  lookup(ids: Iterable<bigint>): Map<bigint, LedgerEntry> {
    const wanted = new Set<string>();
    for (const id of ids) wanted.add(id.toString());
    const found = new Map<bigint, LedgerEntry>();
    if (wanted.size === 0 || !fs.existsSync(this.file)) return found;
    const where = new Map<string, { run: string; batch: number }>();
    const abandoned = new Set<string>();
    for (const line of fs.readFileSync(this.file, "utf8").split("\n")) {
      if (!line) continue;
      let e: { t: string; run: string; batch?: number; ids?: string[] };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // a torn last line: its batch was never committed
      }
      if (e.t === "abandoned") abandoned.add(e.run);
      else if (e.t === "planned")
        for (const id of e.ids ?? []) if (wanted.has(id)) where.set(id, { run: e.run, batch: e.batch ?? 0 });
    }
    const manifests = new Map<string, ReturnType<RunStore["readManifest"]> | null>();
    const manifestOf = (run: string) => {
      if (!manifests.has(run)) {
        const store = new RunStore(path.join(this.runsDir, run));
        manifests.set(run, store.exists() ? store.readManifest() : null);
      }
      return manifests.get(run);
    };
    for (const [id, at] of where) {
      const m = manifestOf(at.run);
      if (!m) continue; // never committed
      const b = m.batches[at.batch];
      if (b?.status === "attested")
        found.set(BigInt(id), { applicantId: BigInt(id), status: "attested", ...at, txHash: b.txHash });
      else if (!abandoned.has(at.run)) found.set(BigInt(id), { applicantId: BigInt(id), status: "planned", ...at });
    }
    return found;
  }

  /** Whether --new-run gave up `run`. */
  isAbandoned(run: string): boolean {
    if (!fs.existsSync(this.file)) return false;
    const needle = JSON.stringify({ t: "abandoned", run });
    return fs
      .readFileSync(this.file, "utf8")
      .split("\n")
      .some((line) => line === needle);
  }

  /** A writer for the batches of a run being planned (lines are fsync'd on close). */
  planning(run: string): LedgerWriter {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    cutTornTail(this.file);
    return new LedgerWriter(this.file, run);
  }

  /** Marks a run abandoned: its batches not attested yet will never be sent; their applications are free. */
  abandon(run: string): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    cutTornTail(this.file);
    appendSync(this.file, JSON.stringify({ t: "abandoned", run }) + "\n");
  }
}

export class LedgerWriter {
  private readonly fd: number;
  private buffer: string[] = [];

  constructor(
    file: string,
    private readonly run: string,
  ) {
    this.fd = fs.openSync(file, "a", 0o600);
  }

  add(batch: number, ids: readonly bigint[]): void {
    this.buffer.push(JSON.stringify({ t: "planned", run: this.run, batch, ids: ids.map(String) }) + "\n");
    if (this.buffer.length >= 256) this.flush();
  }

  private flush(): void {
    if (this.buffer.length) fs.writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
  }

  close(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

function appendSync(file: string, text: string): void {
  const fd = fs.openSync(file, "a", 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
