/**
 * The script API's plan() (anchor:prove --plan-only) with --max-batches, on the in-process network: a
 * real StateAnchor with mock verifiers and a policy of the test profile's batch size and the loan guest's
 * method ID, so that the target resolves as for a real deployment. Nothing is proven.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { parse } from "csv-parse/sync";
import { plan, planOptions, type PipelineEvent, type DeploymentManifest } from "../../src";
import { UsageError } from "../../src/errors";
import { RunMismatchError, finalRoot } from "../../src/pipeline";
import { commitment, policyParams } from "../../src/policy";
import { loanGuest } from "../../src/zkvm/guest";
import { VKEY_HASH, deployAnchor, deployMock } from "../anchor/helpers";

const N = policyParams("test").batchSize;
const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

describe("plan() / anchor:prove --plan-only (in-process network, mock verifiers)", function () {
  let dir: string;
  let deployment: DeploymentManifest;
  let input: string;
  let genesis: bigint;

  before(async () => {
    const [admin] = await ethers.getSigners();
    const anchor = await deployAnchor(await deployMock(), admin.address);
    await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), admin.address);
    await anchor.schedulePolicy(await (await deployMock()).getAddress(), VKEY_HASH, N, loanGuest().methodId, 650n);
    genesis = BigInt(await anchor.stateRoot());
    // resolveTarget reads only these fields of a deployments file.
    deployment = {
      network: "hardhat",
      chainId: "31337",
      profile: "test",
      contracts: { stateAnchor: { address: await anchor.getAddress() } },
      policies: [{ policyId: "1" }],
    } as unknown as DeploymentManifest;
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-plan-"));
    input = path.join(dir, "apps.csv");
    const rows = Array.from({ length: 2 * N + 3 }, (_, i) => `${i + 1},${600 + 10 * i}`);
    fs.writeFileSync(input, ["applicantId,score", ...rows].join("\n") + "\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const request = (extra: Partial<Parameters<typeof plan>[0]> = {}, events: PipelineEvent[] = []) => ({
    deployment,
    file: input,
    provider: ethers.provider,
    runsDir: path.join(dir, "runs"),
    onEvent: (e: PipelineEvent) => events.push(e),
    ...extra,
  });

  it("plans the first N batches against the anchor's state, writes the run folder and proves nothing", async () => {
    const events: PipelineEvent[] = [];
    const r = await plan(request({ maxBatches: 2 }, events));
    expect(r.created).to.equal(true);
    expect(r.plan).to.include({ startNonce: 0n, startRoot: genesis, maxBatches: 2, rowsLeft: 3 });
    expect(r.plan.batches.map((b) => [b.nonce, b.size])).to.deep.equal([
      [0n, N],
      [1n, N],
    ]);
    expect(r.plan.batches[1].prevRoot).to.equal(r.plan.batches[0].newRoot);
    expect(events.map((e) => e.type)).to.deep.equal(["plan-progress", "plan-progress", "run-created", "plan-ready"]);
    expect(events[1]).to.deep.equal({ type: "plan-progress", batches: 2, applications: 2 * N, total: 2 * N });
    events.splice(0, 2);
    expect(events[0]).to.include({ applications: 2 * N, generatedSalts: 2 * N, maxBatches: 2, rowsLeft: 3 });
    expect(events[1]).to.deep.equal({
      type: "plan-ready",
      runId: r.plan.runId,
      dir: r.store.dir,
      created: true,
      batches: 2,
      applications: 2 * N,
      rowsLeft: 3,
      firstNonce: "0",
      lastNonce: "1",
      finalRoot: hex(finalRoot(r.plan)),
      files: ["plan.json", "batches.jsonl", "receipts.csv"],
    });
    // Salts, commitments and the chain of expected states are in the folder; no proof, nothing proved.
    const receipts = parse(fs.readFileSync(r.store.receiptsFile, "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(receipts.map((row) => row.applicantId)).to.deep.equal(
      Array.from({ length: 2 * N }, (_, i) => String(i + 1)),
    );
    expect(receipts.every((row) => BigInt(row.salt) >= 2n ** 128n && row.txHash === "")).to.equal(true);
    expect(r.store.readManifest().batches.map((b) => b.status)).to.deep.equal(["planned", "planned"]);
    expect(fs.readdirSync(path.join(r.store.dir, "batches"))).to.deep.equal([]);
    expect(r.store.loadPlan().batches.map((b) => b.newRoot)).to.deep.equal(r.plan.batches.map((b) => b.newRoot));

    // Again: the run is loaded as planned (same salts); another --max-batches is refused.
    const again: PipelineEvent[] = [];
    const loaded = await plan(request({ maxBatches: 2 }, again));
    expect(loaded.created).to.equal(false);
    expect(loaded.plan.batches.map((b) => b.fingerprint)).to.deep.equal(r.plan.batches.map((b) => b.fingerprint));
    expect(again.map((e) => e.type)).to.deep.equal(["run-loaded", "plan-ready"]);
    expect(again[1]).to.include({ created: false });
    const err = await plan(request({ maxBatches: 3 })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RunMismatchError);
    expect((err as Error).message).to.match(/was planned with --max-batches 2 .*, not with --max-batches 3/);
    // By run id alone, any --max-batches given must match too.
    await plan(request({ file: undefined, run: r.plan.runId }));
    expect(await plan(request({ file: undefined, run: r.plan.runId, maxBatches: 1 })).catch((e) => e)).to.be.instanceOf(
      RunMismatchError,
    );
  });

  it("sorts each batch by applicantId: slots, receipts, commitments and decisions follow the sorted order", async () => {
    // Rows in descending id order: every full batch arrives reversed (the policy circuit needs ascending ids).
    const rows = 2 * N + 1;
    const file = Array.from({ length: rows }, (_, i) => ({
      row: i + 1,
      id: BigInt(100 * (rows - i)),
      score: 640n + BigInt(3 * i),
    }));
    fs.writeFileSync(input, ["applicantId,score", ...file.map((r) => `${r.id},${r.score}`)].join("\n") + "\n");
    const r = await plan(request());
    expect(r.plan.batches.map((b) => b.size)).to.deep.equal([N, N, 1]);
    const stored = [0, 1, 2].map((k) => r.store.readBatch(k));
    for (const b of stored) {
      const ids = b.applications.map((a) => a.applicantId);
      expect(ids, `batch ${b.index}`).to.deep.equal([...ids].sort((x, y) => (x < y ? -1 : 1)));
    }
    // Row r of the file (1-based) is in batch floor((r - 1) / N); within a full batch, the reversed order.
    const slotOf = (row: number) => (row > 2 * N ? 0 : N - 1 - ((row - 1) % N));
    const receipts = parse(fs.readFileSync(r.store.receiptsFile, "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(receipts).to.have.length(rows);
    for (const f of file) {
      const rec = receipts.find((x) => x.applicantId === String(f.id))!;
      const batch = Math.floor((f.row - 1) / N);
      const slot = slotOf(f.row);
      const where = `row ${f.row} (applicantId ${f.id})`;
      expect([rec.score, rec.batch, rec.slot], where).to.deep.equal([String(f.score), String(batch), String(slot)]);
      const app = stored[batch].applications[slot];
      expect(app, where).to.deep.equal({ applicantId: f.id, score: f.score, salt: BigInt(rec.salt) });
      expect(rec.commitment, where).to.equal(String(commitment(app)));
      expect(rec.commitment, where).to.equal(String(stored[batch].outcome.commitments[slot]));
      expect(rec.decision, where).to.equal(f.score <= 650n ? "approved" : "denied");
      expect((stored[batch].outcome.decisionBits >> BigInt(slot)) & 1n, where).to.equal(f.score <= 650n ? 1n : 0n);
    }
    // receipts.csv lists each batch in slot order.
    expect(receipts.map((x) => [x.batch, x.slot])).to.deep.equal(
      stored.flatMap((b) => b.applications.map((_, slot) => [String(b.index), String(slot)])),
    );
  });

  it("the ledger is the anchor's own: the same address on a restarted chain starts another ledger", async () => {
    const snapshot = await ethers.provider.send("evm_snapshot", []);
    try {
      const [admin] = await ethers.getSigners();
      const deploy = async () => {
        const anchor = await deployAnchor(await deployMock(), admin.address);
        await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), admin.address);
        await anchor.schedulePolicy(await (await deployMock()).getAddress(), VKEY_HASH, N, loanGuest().methodId, 650n);
        const tx = anchor.deploymentTransaction()!;
        const blockNumber = (await tx.wait())!.blockNumber;
        return {
          ...deployment,
          contracts: { stateAnchor: { address: await anchor.getAddress(), blockNumber } },
        } as unknown as DeploymentManifest;
      };
      const restart = await ethers.provider.send("evm_snapshot", []);
      const first = await deploy();
      await plan(request({ deployment: first }));
      // Planned and not finished on this anchor: another run of the same rows is refused.
      const again = await plan(request({ deployment: first, run: "again" })).catch((e: unknown) => e);
      expect((again as Error & { code?: string }).code).to.equal("already-on-anchor");
      // The chain restarts (as a local node does) and an anchor is deployed at the same address.
      await ethers.provider.send("evm_revert", [restart]);
      await ethers.provider.send("evm_increaseTime", [60]);
      const second = await deploy();
      expect(second.contracts.stateAnchor.address).to.equal(first.contracts.stateAnchor.address);
      const r = await plan(request({ deployment: second, run: "after-restart" }));
      expect(r.created).to.equal(true);
      expect(fs.readdirSync(path.join(dir, "runs", "ledger"))).to.have.length(2);
    } finally {
      await ethers.provider.send("evm_revert", [snapshot]);
    }
  });

  it("a bad --max-batches is a UsageError before anything is read or written", async () => {
    for (const maxBatches of [0, -2, 2.5]) {
      expect(() => planOptions({ maxBatches })).to.throw(
        UsageError,
        `--max-batches must be at least 1, got ${maxBatches}`,
      );
      const err = await plan(request({ maxBatches, deployment: path.join(dir, "missing.json") })).catch((e) => e);
      expect(err).to.be.instanceOf(UsageError);
    }
    expect(fs.existsSync(path.join(dir, "runs"))).to.equal(false);
  });
});
