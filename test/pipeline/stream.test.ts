/**
 * Streaming prove-and-submit, the journal-backed run store and the per-anchor ledger, with the fakes:
 * real worker processes running the fake prover, the in-memory anchor.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AlreadyOnAnchorError,
  Ledger,
  ProvingFailedError,
  RunMismatchError,
  RunStore,
  openRun,
  proveAndSubmit,
  type PipelineEvent,
  type RunContext,
} from "../../src/pipeline";
import { BATCH_SIZE, FakeAnchor, fakeEvaluate, fakePolicy, fakeState } from "./fakes";

const FAKE_PROVER = path.join(__dirname, "fake-prover.ts");
const fast = { retry: { baseMs: 1, maxMs: 4 }, pollMs: 2, pendingTimeoutMs: 200 };

function csv(ids: number[]): string {
  return ["applicantId,score", ...ids.map((id) => `${id},${400 + ((id * 37) % 400)}`)].join("\n") + "\n";
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("streaming attest, run journal and ledger (fake prover, fake anchor)", function () {
  let dir: string;
  let anchor: FakeAnchor;
  let ctx: RunContext;
  let input: string;
  let events: PipelineEvent[];
  let log: string;

  const open = (extra: Partial<Parameters<typeof openRun>[0]> = {}) =>
    openRun({
      input,
      context: ctx,
      policy: fakePolicy,
      state: fakeState,
      readStart: () => anchor.readState(),
      runsDir: path.join(dir, "runs"),
      onEvent: (e) => events.push(e),
      ...extra,
    });
  const attest = async (extra: Partial<Parameters<typeof openRun>[0]> = {}, concurrency = 2) => {
    const { plan, store } = await open(extra);
    const r = await proveAndSubmit(
      plan,
      store,
      anchor,
      { concurrency, proverModule: FAKE_PROVER, onEvent: (e) => events.push(e) },
      { ...fast, onEvent: (e) => events.push(e) },
    );
    return { plan, store, ...r };
  };
  const proofsMade = () =>
    fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map(Number) : [];
  const at = (type: string, index: number) =>
    events.findIndex((e) => e.type === type && (e as { index?: number }).index === index);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-stream-"));
    log = path.join(dir, "prover.log");
    process.env.FAKE_PROVER_LOG = log;
    delete process.env.FAKE_PROVER_FAIL_INDEX;
    delete process.env.FAKE_PROVER_DELAY_MS;
    const opts = { domain: 5n, policyId: 1n, methodId: 77n, threshold: 600n };
    anchor = new FakeAnchor(opts);
    ctx = { chainId: 31337n, anchor: anchor.address, ...opts, profile: "test", batchSize: BATCH_SIZE, scoreBits: 32 };
    input = path.join(dir, "apps.csv");
    fs.writeFileSync(input, csv(range(1, 4 * BATCH_SIZE)));
    events = [];
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    delete process.env.FAKE_PROVER_LOG;
    delete process.env.FAKE_PROVER_DELAY_MS;
    delete process.env.FAKE_PROVER_FAIL_INDEX;
  });

  it("planning reports progress per batch; the plan lists batches, the store holds them", async () => {
    const { plan, store } = await open();
    expect(events.filter((e) => e.type === "plan-progress")).to.deep.equal(
      range(1, 4).map((b) => ({ type: "plan-progress", batches: b, applications: b * BATCH_SIZE, total: 16 })),
    );
    expect(plan).to.include({ applications: 16, version: 2 });
    expect([...store.readBatches()].map((x) => x.batch.fingerprint)).to.deep.equal(
      plan.batches.map((b) => b.fingerprint),
    );
    expect(store.readBatch(2).applications.map((a) => a.applicantId)).to.deep.equal([9n, 10n, 11n, 12n]);
  });

  it("planning sorts each batch by applicantId (rows stay in their batch); saltGenerated follows each application", async () => {
    // Batch 0 gets rows 1-4 and batch 1 rows 5-8, whatever their ids; rows 2 and 7 give their salts.
    const given = (k: bigint) => 2n ** 200n + k;
    const rows: [number, bigint | undefined][] = [
      [40, undefined],
      [10, given(10n)],
      [30, undefined],
      [20, undefined],
      [5, undefined],
      [80, undefined],
      [6, given(6n)],
      [70, undefined],
    ];
    expect(rows).to.have.length(2 * BATCH_SIZE);
    fs.writeFileSync(
      input,
      ["applicantId,score,salt", ...rows.map(([id, salt]) => `${id},${400 + id},${salt ?? ""}`)].join("\n") + "\n",
    );
    const { store } = await open();
    const batches = [...store.readBatches()];
    expect(batches.map((b) => b.batch.applications.map((a) => a.applicantId))).to.deep.equal([
      [10n, 20n, 30n, 40n],
      [5n, 6n, 70n, 80n],
    ]);
    expect(batches.map((b) => b.saltGenerated)).to.deep.equal([
      [false, true, true, true],
      [true, false, true, true],
    ]);
    expect(batches[0].batch.applications[0]).to.deep.equal({ applicantId: 10n, score: 410n, salt: given(10n) });
    expect(batches[1].batch.applications[1]).to.deep.equal({ applicantId: 6n, score: 406n, salt: given(6n) });
    // The receipts row of each application names its own slot, salt origin and commitment.
    const receipts = fs
      .readFileSync(store.receiptsFile, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(","));
    expect(
      receipts.map(([id, score, , generated, , batch, slot]) => [id, score, generated, batch, slot]),
    ).to.deep.equal([
      ["10", "410", "no", "0", "0"],
      ["20", "420", "yes", "0", "1"],
      ["30", "430", "yes", "0", "2"],
      ["40", "440", "yes", "0", "3"],
      ["5", "405", "yes", "1", "0"],
      ["6", "406", "no", "1", "1"],
      ["70", "470", "yes", "1", "2"],
      ["80", "480", "yes", "1", "3"],
    ]);
    for (const [i, b] of batches.entries()) {
      expect(b.batch.outcome.commitments, `batch ${i}`).to.deep.equal(
        fakeEvaluate(b.batch.applications, 600n).commitments,
      );
    }
  });

  it("submits batch 0 while later batches are still proving; every batch attested once, in nonce order", async () => {
    process.env.FAKE_PROVER_DELAY_MS = "250";
    const r = await attest({}, 1);
    expect(r.submission).to.include({ sent: 4, skipped: 0 });
    expect(at("batch-attested", 0), "batch 0 attested").to.be.greaterThan(-1);
    expect(at("batch-attested", 0)).to.be.lessThan(at("batch-proved", 3));
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n, 3n]);
    expect(anchor.nonce).to.equal(4n);
    expect(r.store.readManifest().batches.map((b) => b.status)).to.deep.equal(Array(4).fill("attested"));
  });

  it("a crash between proving and submission loses nothing: the next run reuses the proofs and sends the rest", async () => {
    const { plan, store } = await open();
    let sent = 0;
    // The submitter dies after the first attest; proving of the others goes on or stops, its proofs are kept.
    const first = await proveAndSubmit(
      plan,
      store,
      anchor,
      { concurrency: 2, proverModule: FAKE_PROVER },
      {
        ...fast,
        afterAttested: () => {
          if (++sent === 1) throw new Error("submitter killed");
        },
      },
    ).catch((e: Error) => e);
    expect((first as Error).message).to.equal("submitter killed");
    expect(anchor.nonce).to.equal(1n);
    const provedBefore = proofsMade();
    const again = await attest();
    expect(again.submission).to.include({ sent: 3, skipped: 1 });
    expect(again.proving.reused).to.equal(provedBefore.length);
    // Each batch was proven exactly once over both runs, and attested once.
    expect([...proofsMade()].sort()).to.deep.equal([0, 1, 2, 3]);
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n, 3n]);
  });

  it("when proving fails at batch 2, batches 0 and 1 are still attested, then the proving error is thrown", async () => {
    process.env.FAKE_PROVER_FAIL_INDEX = "2";
    const err = await attest({}, 1).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ProvingFailedError);
    expect((err as Error).message).to.match(/fake prover failure on batch 2/);
    expect(anchor.nonce).to.equal(2n);
    delete process.env.FAKE_PROVER_FAIL_INDEX;
    const again = await attest();
    expect(again.submission).to.include({ sent: 2, skipped: 2 });
    expect(anchor.nonce).to.equal(4n);
  });

  it("the journal: one line per change; a torn last line (crash mid-append) is cut off when the run is opened", async () => {
    const { store } = await open();
    store.updateBatch(1, { status: "proved", proofFile: "batches/batch-0001.json" });
    store.updateBatch(1, { status: "sent", accountNonce: 7, txHash: "0x" + "cd".repeat(32) });
    store.updateBatch(1, { txHash: undefined });
    expect(fs.readFileSync(store.journalFile, "utf8").trim().split("\n")).to.have.length(3);
    fs.appendFileSync(store.journalFile, '{"i":2,"status":"atte');
    const reopened = new RunStore(store.dir);
    expect(reopened.readManifest().batches.map((b) => b.status)).to.deep.equal([
      "planned",
      "sent",
      "planned",
      "planned",
    ]);
    expect(reopened.readManifest().batches[1]).to.deep.include({ accountNonce: 7 });
    expect(reopened.readManifest().batches[1]).to.not.have.property("txHash");
    reopened.updateBatch(2, { status: "proved" });
    expect(new RunStore(store.dir).readManifest().batches[2].status).to.equal("proved");
    // Another process's appends are picked up incrementally by an open store.
    new RunStore(store.dir).updateBatch(3, { status: "proved" });
    expect(reopened.readManifest().batches[3].status).to.equal("proved");
  });

  it("a batches.jsonl line that does not match plan.json (an edited run folder) is refused, not used", async () => {
    const { plan, store } = await open();
    const text = fs.readFileSync(store.batchesFile, "utf8");
    // Same length, other fingerprint: the byte offsets in plan.json still point at the line.
    const f = plan.batches[1].fingerprint;
    const edited = f.slice(0, -1) + (f.endsWith("0") ? "1" : "0");
    fs.writeFileSync(store.batchesFile, text.replace(f, edited));
    expect(() => new RunStore(store.dir).readBatch(1)).to.throw(
      `${store.batchesFile}: batch 1 does not match plan.json (the run folder was edited)`,
    );
    expect(new RunStore(store.dir).readBatch(0).fingerprint).to.equal(plan.batches[0].fingerprint);
  });

  it("a run folder of the first format (plan.json with every batch, manifest.json) is converted when opened", async () => {
    const { plan, store } = await open();
    const batches = [...store.readBatches()].map((x) => x.batch);
    const { applications: _n, batches: _b, ...header } = JSON.parse(fs.readFileSync(store.planFile, "utf8"));
    const big = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
    fs.writeFileSync(store.planFile, JSON.stringify({ ...header, version: 1, batches }, big));
    const statuses = ["attested", "sent", "proved", "planned"];
    const manifest = {
      version: 1,
      runId: plan.runId,
      batches: batches.map((b, i) => ({
        index: i,
        nonce: String(b.nonce),
        fingerprint: b.fingerprint,
        status: statuses[i],
        ...(i === 0 ? { txHash: "0x" + "ef".repeat(32), blockNumber: 9 } : {}),
      })),
    };
    fs.writeFileSync(path.join(store.dir, "manifest.json"), JSON.stringify(manifest));
    fs.rmSync(store.batchesFile);
    fs.rmSync(store.journalFile, { force: true });
    const converted = new RunStore(store.dir);
    expect(converted.loadPlan().batches).to.deep.equal(plan.batches);
    expect([...converted.readBatches()].map((x) => x.batch)).to.deep.equal(batches);
    expect([...converted.readBatches()].every((x) => x.saltGenerated.every(Boolean))).to.equal(true);
    expect(converted.readManifest().batches.map((b) => b.status)).to.deep.equal(statuses);
    expect(converted.readManifest().batches[0]).to.deep.include({ txHash: "0x" + "ef".repeat(32), blockNumber: 9 });
    expect(fs.existsSync(path.join(store.dir, "manifest.json"))).to.equal(false);
  });

  it("ledger: a file with one row appended after it was attested is refused with the attested rows listed", async () => {
    await attest();
    fs.appendFileSync(input, "500,1\n");
    const err = await open().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AlreadyOnAnchorError);
    const e = err as AlreadyOnAnchorError;
    expect(e.code).to.equal("already-on-anchor");
    expect(e.rows).to.have.length(16);
    expect(e.rows[0]).to.deep.include({ row: 1, applicantId: 1n, status: "attested", batch: 0 });
    expect(e.rows[0].txHash).to.equal(anchor.sent[0].hash);
    expect(e.message).to.match(
      /^16 application\(s\) of .*apps\.csv are already on anchor 0x[0-9a-f]{40} \(16 attested, 0 planned/,
    );
    expect(e.hint).to.match(/--skip-attested/);
    expect(e.message.split("\n")[1]).to.equal(
      `  row 1 (applicantId 1): attested in run ${e.rows[0].run}, batch 0, tx ${anchor.sent[0].hash}`,
    );
    expect(e.message.split("\n").at(-1)).to.equal("  and 6 more (--json lists them all)");
    expect(fs.readdirSync(path.join(dir, "runs")).sort()).to.have.length(2); // the first run and the ledger
    // --skip-attested: only the new row is planned and attested.
    events = [];
    const r = await attest({ skipAttested: true });
    expect(r.plan).to.deep.include({ applications: 1, skipped: { attested: 16, planned: 0 } });
    expect(events.find((x) => x.type === "run-created")).to.include({ skippedAttested: 16, skippedPlanned: 0 });
    expect(anchor.nonce).to.equal(5n);
    expect(anchor.sent.reduce((n, s) => n + Number(s.call.batch.activeCount), 0)).to.equal(17);
  });

  it("ledger: an application attested in an earlier run of another file is refused, with its row", async () => {
    await attest();
    const other = path.join(dir, "other.csv");
    fs.writeFileSync(other, csv([100, 101, 7, 102]));
    const err = await open({ input: other }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AlreadyOnAnchorError);
    expect((err as AlreadyOnAnchorError).rows.map((r) => [r.row, r.applicantId, r.status, r.batch])).to.deep.equal([
      [3, 7n, "attested", 1],
    ]);
    // Rows planned in an unfinished run count too.
    const third = path.join(dir, "third.csv");
    fs.writeFileSync(third, csv([100, 200]));
    await open({ input: third }); // planned, never proven
    const again = await open({ input: other, skipAttested: true });
    expect(again.plan).to.deep.include({ applications: 2, skipped: { attested: 1, planned: 1 } });
    expect([...again.store.readBatches()][0].batch.applications.map((a) => a.applicantId)).to.deep.equal([101n, 102n]);
  });

  it("--new-run gives up the earlier run of the file: its unattested rows are free, and it is never continued", async () => {
    const first = await open();
    const ledger = new Ledger(path.join(dir, "runs"), ctx.chainId, ctx.anchor);
    expect(ledger.lookup([1n]).get(1n)).to.deep.include({ status: "planned", run: first.plan.runId });
    const second = await open({ newRun: true });
    expect(second.plan.runId).to.not.equal(first.plan.runId);
    expect(second.plan.applications).to.equal(16);
    expect(ledger.isAbandoned(first.plan.runId)).to.equal(true);
    const err = await open({ runId: first.plan.runId }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RunMismatchError);
    expect((err as Error).message).to.match(/was given up by --new-run/);
  });
});
