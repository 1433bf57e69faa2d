/**
 * The pipeline end to end with fakes: real worker processes running a fake prover, an in-memory
 * anchor with fault injection. The same flows run against anvil with real proofs in test/e2e.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AnchorRevertError,
  ApplicationsInvalidError,
  FeeCapError,
  ChainDivergedError,
  ProvingFailedError,
  RunMismatchError,
  RunStore,
  AlreadyOnAnchorError,
  finalRoot,
  openRun,
  proveRun,
  submitRun,
  type PipelineEvent,
  type RunContext,
} from "../../src/pipeline";
import { UsageError } from "../../src/errors";
import { BATCH_SIZE, FakeAnchor, fakePolicy, fakeState } from "./fakes";
import { parse } from "csv-parse/sync";

/** receipts.csv as records (every value a string). */
const receiptRows = (file: string) =>
  parse(fs.readFileSync(file, "utf8"), { columns: true }) as Record<string, string>[];
/** The txHash column per batch index (one value per distinct batch). */
/** The planned batches of a run (read from its store, one line per batch). */
const batchesOf = (store: RunStore) => [...store.readBatches()].map((x) => x.batch);
const txByBatch = (file: string) => [...new Map(receiptRows(file).map((r) => [r.batch, r.txHash])).values()];

/** Asserts that `p` rejects with an instance of `cls` whose message matches `re`. */
async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error, re?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a rejection").to.be.instanceOf(cls);
  if (re) expect((err as Error).message).to.match(re);
}

const FAKE_PROVER = path.join(__dirname, "fake-prover.ts");
const fast = { retry: { baseMs: 1, maxMs: 4 }, pollMs: 2, pendingTimeoutMs: 200 };

function csv(n: number, withSalt = false): string {
  const rows = ["applicantId,score,salt"];
  // Given salts must be at least 2^128 (the input refuses smaller ones).
  for (let i = 0; i < n; i++) rows.push(`${1000 + i},${500 + 37 * i},${withSalt ? 2n ** 200n + BigInt(i) : ""}`);
  return rows.join("\n") + "\n";
}

describe("pipeline flow (fake prover in worker processes, fake anchor)", function () {
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
      // Progress events are asserted in stream.test.ts; here the events that say what happened.
      onEvent: (e) => e.type !== "plan-progress" && events.push(e),
      ...extra,
    });
  const proofsMade = () =>
    fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).length : 0;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-flow-"));
    log = path.join(dir, "prover.log");
    process.env.FAKE_PROVER_LOG = log;
    delete process.env.FAKE_PROVER_FAIL_INDEX;
    delete process.env.FAKE_PROVER_BAD_VERIFY_INDEX;
    delete process.env.FAKE_PROVER_DELAY_MS;
    const opts = { domain: 123n, policyId: 1n, methodId: 77n, threshold: 600n };
    anchor = new FakeAnchor(opts);
    anchor.root = 42n;
    ctx = { chainId: 31337n, anchor: anchor.address, ...opts, profile: "test", batchSize: BATCH_SIZE, scoreBits: 32 };
    input = path.join(dir, "apps.csv");
    fs.writeFileSync(input, csv(10));
    events = [];
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    delete process.env.FAKE_PROVER_LOG;
  });

  it("plans, proves in parallel, stores, submits in order; secrets stay in 0600 files", async () => {
    const { plan, store, created } = await open();
    expect(created).to.equal(true);
    expect(plan.batches.map((b) => [b.index, b.nonce, b.size])).to.deep.equal([
      [0, 0n, 4],
      [1, 1n, 4],
      [2, 2n, 2],
    ]);
    expect(plan.batches[1].prevRoot).to.equal(plan.batches[0].newRoot);
    expect(plan.batches[0].prevRoot).to.equal(42n);
    const proved = await proveRun(plan, store, {
      concurrency: 2,
      proverModule: FAKE_PROVER,
      onEvent: (e) => events.push(e),
    });
    expect(proved).to.include({ proved: 3, reused: 0 });
    expect(proofsMade()).to.equal(3);
    expect(store.readManifest().batches.map((b) => b.status)).to.deep.equal(["proved", "proved", "proved"]);
    expect(txByBatch(store.receiptsFile)).to.deep.equal(["", "", ""]); // nothing attested yet
    const sum = await submitRun(plan, store, anchor, { ...fast, onEvent: (e) => events.push(e) });
    expect(sum).to.include({ sent: 3, skipped: 0, decisionsSent: 10 });
    expect(anchor.nonce).to.equal(3n);
    expect(anchor.root).to.equal(finalRoot(plan));
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n]);
    expect(store.readManifest().batches.map((b) => b.status)).to.deep.equal(["attested", "attested", "attested"]);
    const receipts = fs.readFileSync(store.receiptsFile, "utf8").trim().split("\n");
    expect(receipts[0]).to.equal(
      "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce,policyId,decision,txHash",
    );
    expect(receipts).to.have.length(11);
    const hashes = store.readManifest().batches.map((b) => b.txHash);
    expect(hashes.every((h) => /^0x[0-9a-f]{64}$/.test(h ?? ""))).to.equal(true);
    // Scores 500 + 37 i against threshold 600: applicants 1000..1002 approved, the rest denied.
    expect(receipts[1]).to.match(new RegExp(`^1000,500,\\d+,yes,\\d+,0,0,0,1,approved,${hashes[0]}$`));
    expect(receipts[3]).to.match(new RegExp(`^1002,574,\\d+,yes,\\d+,0,2,0,1,approved,${hashes[0]}$`));
    expect(receipts[4]).to.match(new RegExp(`^1003,611,\\d+,yes,\\d+,0,3,0,1,denied,${hashes[0]}$`));
    expect(receipts[10]).to.match(new RegExp(`^1009,833,\\d+,yes,\\d+,2,1,2,1,denied,${hashes[2]}$`));
    const commitments = batchesOf(store).flatMap((b) => b.outcome.commitments.slice(0, b.applications.length));
    expect(receiptRows(store.receiptsFile).map((r) => BigInt(r.commitment))).to.deep.equal(commitments);
    if (process.platform !== "win32") {
      expect(fs.statSync(store.receiptsFile).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(store.planFile).mode & 0o777).to.equal(0o600);
    }
    expect(events.filter((e) => e.type === "batch-attested")).to.have.length(3);
  });

  it("a re-run reuses matching proofs, loads the same plan (same salts) and re-proves a stale file", async () => {
    const first = await open();
    await proveRun(first.plan, first.store, { concurrency: 2, proverModule: FAKE_PROVER });
    const again = await open();
    expect(again.created).to.equal(false);
    expect(again.plan.batches.map((b) => b.fingerprint)).to.deep.equal(first.plan.batches.map((b) => b.fingerprint));
    const file = again.store.batchFile(1);
    const stored = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...stored, fingerprint: "0".repeat(64) }));
    events = [];
    const sum = await proveRun(again.plan, again.store, {
      concurrency: 2,
      proverModule: FAKE_PROVER,
      onEvent: (e) => events.push(e),
    });
    expect(sum).to.include({ proved: 1, reused: 2 });
    expect(events.filter((e) => e.type === "batch-stale").map((e) => (e as { index: number }).index)).to.deep.equal([
      1,
    ]);
    expect(proofsMade()).to.equal(4);
    // Proofs made with other proving keys (the circuits were rebuilt) are made again.
    await proveRun(again.plan, again.store, { concurrency: 2, proverModule: FAKE_PROVER, keyId: "k1" });
    expect(proofsMade()).to.equal(7);
    expect(
      await proveRun(again.plan, again.store, { concurrency: 2, proverModule: FAKE_PROVER, keyId: "k1" }),
    ).to.include({ proved: 0, reused: 3 });
    expect(proofsMade()).to.equal(7);
  });

  it("a failing or non-verifying proof is never stored; the others are kept", async () => {
    const { plan, store } = await open();
    process.env.FAKE_PROVER_FAIL_INDEX = "1";
    await proveRun(plan, store, { concurrency: 1, proverModule: FAKE_PROVER }).then(
      () => expect.fail("expected failure"),
      (err) => {
        expect(err).to.be.instanceOf(ProvingFailedError);
        expect(err.message).to.contain("fake prover failure on batch 1");
      },
    );
    expect(fs.existsSync(store.batchFile(0))).to.equal(true);
    expect(fs.existsSync(store.batchFile(1))).to.equal(false);
    delete process.env.FAKE_PROVER_FAIL_INDEX;
    process.env.FAKE_PROVER_BAD_VERIFY_INDEX = "2";
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER }).then(
      () => expect.fail("expected failure"),
      (err) =>
        expect(err.message).to.match(
          /batch 2: local verification failed \(policy REJECTED, zkVM ok\); nothing was stored/,
        ),
    );
    expect(fs.existsSync(store.batchFile(2))).to.equal(false);
    await rejects(submitRun(plan, store, anchor, fast), Error, /batch 2 .* has no proof matching the plan/);
    expect(anchor.sent).to.have.length(0);
  });

  it("resumes after a stop between two submissions: no gap, no duplicate, no proof regenerated", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    await submitRun(plan, store, anchor, {
      ...fast,
      afterAttested: (i) => {
        if (i === 0) throw new Error("simulated crash");
      },
    }).catch((e) => expect(e.message).to.equal("simulated crash"));
    expect(anchor.nonce).to.equal(1n);
    // The attested batch's rows carry its transaction; the unsubmitted ones stay empty.
    expect(txByBatch(store.receiptsFile)).to.deep.equal([store.readManifest().batches[0].txHash, "", ""]);
    const again = await open();
    await proveRun(again.plan, again.store, { concurrency: 2, proverModule: FAKE_PROVER });
    const sum = await submitRun(again.plan, again.store, anchor, { ...fast, onEvent: (e) => events.push(e) });
    expect(sum).to.include({ sent: 2, skipped: 1 });
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n]);
    expect(anchor.root).to.equal(finalRoot(plan));
    expect(proofsMade()).to.equal(3);
    expect(txByBatch(store.receiptsFile)).to.deep.equal(anchor.sent.map((s) => s.hash));
  });

  it("a batch attested but not recorded as such gets its transaction from the receipt; lost receipts are rebuilt", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    await submitRun(plan, store, anchor, fast);
    const hashes = store.readManifest().batches.map((b) => b.txHash);
    // Stopped between mining and recording; for batch 1 the recorded transaction is one that was replaced.
    store.updateBatch(0, { status: "sent" });
    store.updateBatch(1, { status: "sent", txHash: "0x" + "ab".repeat(32) });
    fs.rmSync(store.receiptsFile);
    expect(await submitRun(plan, store, anchor, fast)).to.include({ sent: 0, skipped: 3 });
    expect(store.readManifest().batches.map((b) => [b.status, b.txHash])).to.deep.equal([
      ["attested", hashes[0]],
      ["attested", undefined],
      ["attested", hashes[2]],
    ]);
    expect(txByBatch(store.receiptsFile)).to.deep.equal([hashes[0], "", hashes[2]]);
    // Rebuilt from batches.jsonl: every column, incl. which salts were drawn.
    expect(receiptRows(store.receiptsFile).map((r) => [r.applicantId, r.saltGenerated, r.decision])).to.deep.equal(
      batchesOf(store).flatMap((b) =>
        b.applications.map((a) => [String(a.applicantId), "yes", a.score <= 600n ? "approved" : "denied"]),
      ),
    );
    if (process.platform !== "win32") expect(fs.statSync(store.receiptsFile).mode & 0o777).to.equal(0o600);
  });

  it("retries transient RPC failures, incl. a send whose response was lost (no second transaction)", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    anchor.faults = {
      readState: ["transient", "transient"],
      preflight: ["transient"],
      send: ["drop-after-send", "transient"],
      receipt: ["transient"],
      accountNonce: ["transient"],
    };
    await submitRun(plan, store, anchor, { ...fast, onEvent: (e) => events.push(e) });
    expect(anchor.nonce).to.equal(3n);
    expect(anchor.root).to.equal(finalRoot(plan));
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n]);
    expect(events.filter((e) => e.type === "retry").length).to.be.greaterThanOrEqual(6);
  });

  it("gives up with a clear message when the RPC keeps failing", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 1, proverModule: FAKE_PROVER });
    anchor.faults = { readState: Array(20).fill("transient") };
    await rejects(
      submitRun(plan, store, anchor, { ...fast, retry: { attempts: 3, baseMs: 1, maxMs: 2 } }),
      Error,
      /read anchor state: still failing after 3 attempts .*run again: the run resumes/,
    );
    expect(anchor.sent).to.have.length(0);
  });

  it("waits for a transaction still pending from an earlier attempt instead of sending another", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    anchor.holdMining = true;
    // The run stops right after the first send, the transaction still in the mempool: it may not
    // replace it (the fee cap is the current fee), so it gives up with FeeCapError.
    const stopped = await submitRun(plan, store, anchor, {
      ...fast,
      pendingTimeoutMs: 20,
      maxFeePerGas: anchor.feeSuggestion.maxFeePerGas,
    }).catch((e: unknown) => e);
    expect(stopped).to.be.instanceOf(FeeCapError);
    expect((stopped as Error).message).to.match(
      /^replacing the stuck transaction needs a fee of 33\.75 gwei per gas, above the cap of 30 gwei: raise --max-fee-gwei/,
    );
    expect(anchor.sent).to.have.length(1);
    expect(store.readManifest().batches[0]).to.include({ status: "sent", accountNonce: 0 });
    setTimeout(() => {
      anchor.holdMining = false;
      anchor.mine();
    }, 30);
    anchor.receipts.clear();
    store.updateBatch(0, { txHash: undefined });
    await submitRun(plan, store, anchor, { ...fast, pendingTimeoutMs: 5_000, onEvent: (e) => events.push(e) });
    expect(events.some((e) => e.type === "batch-pending")).to.equal(true);
    expect(anchor.sent.map((s) => s.call.expectedNonce)).to.deep.equal([0n, 1n, 2n]);
    expect(anchor.nonce).to.equal(3n);
  });

  /** The first transaction stays in the mempool; mining resumes once its replacement is out. */
  function stuckUntilReplaced(afterFirst?: () => void): void {
    anchor.holdMining = true;
    const send = anchor.send.bind(anchor);
    anchor.send = async (...args) => {
      const sent = await send(...args);
      if (anchor.sent.length === 1) afterFirst?.();
      if (anchor.sent.length === 2) {
        anchor.holdMining = false;
        anchor.mine();
      }
      return sent;
    };
  }

  it("replaces a transaction stuck in the mempool with 12.5% higher fees; only the replacement is mined", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    stuckUntilReplaced();
    const summary = await submitRun(plan, store, anchor, {
      ...fast,
      pendingTimeoutMs: 20,
      onEvent: (e) => events.push(e),
    });
    expect(summary).to.include({ sent: 3 });
    const [first, replacement] = anchor.sent;
    expect(anchor.sent.map((s) => [s.call.expectedNonce, s.accountNonce])).to.deep.equal([
      [0n, 0],
      [0n, 0],
      [1n, 1],
      [2n, 2],
    ]);
    expect(first.fees).to.deep.equal({ maxFeePerGas: 30_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
    expect(replacement.fees).to.deep.equal({ maxFeePerGas: 33_750_000_000n, maxPriorityFeePerGas: 1_125_000_000n });
    expect(anchor.dropped).to.deep.equal([first.hash]);
    expect(anchor.receipts.has(first.hash)).to.equal(false);
    expect(anchor.receipts.get(replacement.hash)?.status).to.equal(1);
    expect(anchor.nonce).to.equal(3n);
    expect(anchor.root).to.equal(finalRoot(plan));
    const bumped = events.filter((e) => e.type === "batch-fee-bumped");
    expect(bumped).to.deep.equal([
      {
        type: "batch-fee-bumped",
        index: 0,
        nonce: "0",
        accountNonce: 0,
        replaces: first.hash,
        fees: { maxFeePerGas: "33750000000", maxPriorityFeePerGas: "1125000000" },
      },
    ]);
    expect(store.readManifest().batches[0]).to.include({ status: "attested", txHash: replacement.hash });
    expect(store.readManifest().batches[0].fees).to.deep.equal({
      maxFeePerGas: "33750000000",
      maxPriorityFeePerGas: "1125000000",
    });
  });

  it("a replacement pays the network's fee when it rose more than the bump", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    stuckUntilReplaced(() => {
      anchor.feeSuggestion = { maxFeePerGas: 90_000_000_000n, maxPriorityFeePerGas: 2_000_000_000n };
    });
    await submitRun(plan, store, anchor, { ...fast, pendingTimeoutMs: 20 });
    expect(anchor.sent[1].fees).to.deep.equal({ maxFeePerGas: 90_000_000_000n, maxPriorityFeePerGas: 2_000_000_000n });
    expect(anchor.nonce).to.equal(3n);
  });

  it("after the chain went back (revert to before the last batch) a re-run resubmits it", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    let snap: ReturnType<FakeAnchor["snapshot"]> | undefined;
    await submitRun(plan, store, anchor, {
      ...fast,
      afterAttested: (i) => void (i === 1 && (snap = anchor.snapshot())),
    });
    anchor.revertTo(snap!);
    expect(anchor.nonce).to.equal(2n);
    const sum = await submitRun(plan, store, anchor, fast);
    expect(sum).to.include({ sent: 1, skipped: 2 });
    expect(anchor.nonce).to.equal(3n);
    expect(anchor.root).to.equal(finalRoot(plan));
  });

  it("stops when the chain diverged from the plan and sends nothing", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    anchor.root = 43n;
    await rejects(
      submitRun(plan, store, anchor, fast),
      ChainDivergedError,
      /nonce 0 with root 0x0+2b, but the plan expects root 0x0+2a/,
    );
    anchor.root = 42n;
    anchor.nonce = 7n;
    await rejects(submitRun(plan, store, anchor, fast), ChainDivergedError, /this run ends at nonce 3/);
    expect(anchor.sent).to.have.length(0);
  });

  it("a permanent revert stops the run with the decoded custom error", async () => {
    const { plan, store } = await open();
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    (anchor.opts as { threshold: bigint }).threshold = 601n; // the anchor's policy differs: proofs fail
    const err = await submitRun(plan, store, anchor, fast).catch((e) => e);
    expect(err).to.be.instanceOf(AnchorRevertError);
    expect(err.errorName).to.equal("InvalidPolicyProof");
    expect(err.message).to.match(/^batch 0: the anchor reverted with InvalidPolicyProof\(\); the run stopped/);
    expect(anchor.sent).to.have.length(0);
  });

  it("a bad input file: every error reported, no run folder, chain never read", async () => {
    fs.writeFileSync(input, "applicantId,score\n1,abc\n1,5\n");
    let reads = 0;
    const err = await open({ readStart: async () => (reads++, anchor.readState()) }).catch((e) => e);
    expect(err).to.be.instanceOf(ApplicationsInvalidError);
    expect(err.issues.map((i: { row: number }) => i.row)).to.deep.equal([1, 2]);
    expect(reads).to.equal(0);
    expect(fs.existsSync(path.join(dir, "runs"))).to.equal(false);
  });

  it("refuses to reuse a run planned for another input or threshold", async () => {
    await open();
    await rejects(
      open({ runId: (await open()).plan.runId, context: { ...ctx, threshold: 1n } }),
      RunMismatchError,
      /threshold 600 vs 1/,
    );
    const { plan } = await open();
    fs.appendFileSync(input, "5000,1,\n");
    await rejects(open({ runId: plan.runId }), RunMismatchError, /the input file changed/);
    // The appended file's first rows are in the unfinished run: only the new row can be planned.
    await rejects(open({ newRun: true }), AlreadyOnAnchorError, /^10 application\(s\) of .* are already on anchor/);
    const fresh = await open({ newRun: true, skipAttested: true });
    expect(fresh.created).to.equal(true);
    expect(fresh.plan.runId).to.not.equal(plan.runId);
    expect(fresh.plan).to.deep.include({ applications: 1, skipped: { attested: 0, planned: 10 } });
  });

  it("--max-batches plans only the first N batches' rows; the rest is left, said in the event and the plan", async () => {
    const { plan, store, created } = await open({ maxBatches: 2 });
    expect(created).to.equal(true);
    expect(batchesOf(store).map((b) => b.applications.map((a) => Number(a.applicantId)))).to.deep.equal([
      [1000, 1001, 1002, 1003],
      [1004, 1005, 1006, 1007],
    ]);
    expect(plan).to.include({ maxBatches: 2, rowsLeft: 2 });
    expect(events).to.deep.equal([
      {
        type: "run-created",
        runId: plan.runId,
        dir: store.dir,
        batches: 2,
        applications: 8,
        startNonce: "0",
        generatedSalts: 8,
        maxBatches: 2,
        rowsLeft: 2,
        skippedAttested: 0,
        skippedPlanned: 0,
      },
    ]);
    expect(receiptRows(store.receiptsFile).map((r) => r.applicantId)).to.have.length(8);
    expect(store.readManifest().batches).to.have.length(2);
    expect(new RunStore(store.dir).loadPlan()).to.deep.include({ maxBatches: 2, rowsLeft: 2 });
    // The same N resumes the run as planned; anchor:submit (anyMaxBatches) takes it whatever N it had.
    events = [];
    const again = await open({ maxBatches: 2 });
    expect(again.created).to.equal(false);
    expect(again.plan.batches.map((b) => b.fingerprint)).to.deep.equal(plan.batches.map((b) => b.fingerprint));
    expect(events[0]).to.deep.include({ type: "run-loaded", batches: 2, applications: 8, maxBatches: 2, rowsLeft: 2 });
    expect((await open({ anyMaxBatches: true })).created).to.equal(false);
    // Proving and submitting cover exactly the planned batches.
    await proveRun(plan, store, { concurrency: 2, proverModule: FAKE_PROVER });
    expect(await submitRun(plan, store, anchor, fast)).to.include({ sent: 2, decisionsSent: 8 });
    expect(anchor.nonce).to.equal(2n);
  });

  it("a run is continued only with the --max-batches it was planned with (another N would plan its rows again)", async () => {
    const { plan, store } = await open({ maxBatches: 2 });
    const hint =
      "to plan the rows left once this run is attested, run the same file with --new-run --skip-attested " +
      "(the rows already attested are left out)";
    for (const [maxBatches, asked] of [
      [3, "with --max-batches 3"],
      [1, "with --max-batches 1"],
      [undefined, "for the whole file"],
    ] as const) {
      const err = await open({ maxBatches }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RunMismatchError);
      expect((err as RunMismatchError).message).to.equal(
        `run ${plan.runId} in ${store.dir} was planned with --max-batches 2 (the file's first 8 rows; 2 left for a later run), ` +
          `not ${asked}: run it again with --max-batches 2 to continue that run`,
      );
      expect((err as RunMismatchError).hint).to.equal(hint);
    }
    // A run planned for the whole file is not continued with a limit either.
    // (in another runs folder: in this one the ledger refuses rows planned in the unfinished run)
    const runsDir = path.join(dir, "runs-2");
    const whole = await open({ runId: "whole", runsDir });
    expect(whole.plan).to.not.have.property("maxBatches");
    await rejects(
      open({ runId: "whole", runsDir, maxBatches: 1 }),
      RunMismatchError,
      new RegExp(
        `^run whole in ${whole.store.dir} was planned for the whole file \\(10 rows\\), not with --max-batches 1: ` +
          "run it again without --max-batches to continue that run$",
      ),
    );
    expect((await open({ runId: "whole", runsDir })).created).to.equal(false);
  });

  it("--max-batches: at least 1, checked before anything; the whole file is validated; a big N plans every row", async () => {
    let reads = 0;
    const readStart = async () => (reads++, anchor.readState());
    for (const n of [0, -1, 1.5]) {
      await rejects(
        open({ maxBatches: n, readStart }),
        UsageError,
        new RegExp(`^--max-batches must be at least 1, got ${n}$`),
      );
    }
    // A bad row in the part that would be left out still stops the run: the file is checked as a whole.
    fs.appendFileSync(input, "1000,1,\n");
    await rejects(
      open({ maxBatches: 1, readStart }),
      ApplicationsInvalidError,
      /row 11 \(line 12\) applicantId: duplicate applicantId 1000/,
    );
    expect(reads).to.equal(0);
    expect(fs.existsSync(path.join(dir, "runs"))).to.equal(false);
    fs.writeFileSync(input, csv(10));
    const { plan } = await open({ maxBatches: 5, readStart });
    expect(plan.batches.map((b) => b.size)).to.deep.equal([4, 4, 2]);
    expect(plan).to.include({ maxBatches: 5, rowsLeft: 0 });
    expect(events[0]).to.include({ type: "run-created", applications: 10, maxBatches: 5, rowsLeft: 0 });
  });
});
