/**
 * A borrower's inclusion check (src/audit/inclusion.ts, anchor:inclusion) on the real StateAnchor with
 * mock verifiers: commitments computed from real (applicantId, score, salt), batches attested with the
 * mocks expecting exactly the mirrored calldata; the receipts of a pipeline run; the CLI's exit codes
 * (bad arguments without a node; confirmed / not confirmed against an anvil node).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { ContractFactory, JsonRpcProvider, Wallet, ZeroHash, type Contract } from "ethers";
import {
  AnchorHistoryError,
  UsageError,
  checkInclusion,
  parseInclusionArgs,
  readReceipt,
  receiptQuery,
  type ApplicationQuery,
} from "../../src/audit/inclusion";
import { commitment } from "../../src/policy/reference";
import type { BatchValues } from "../../src/anchor";
import { openRun, policyModel, anchorStateModel, proveRun, submitRun, EthersAnchorClient } from "../../src/pipeline";
import { policyParams } from "../../src/policy";
import {
  METHOD_ID,
  THRESHOLD,
  anchorFixture,
  expectProofs,
  fe,
  policyProofWords,
  zkvmProofWords,
} from "../anchor/helpers";
import { ANVIL_KEY, runCli, startAnvil, type CliResult } from "../e2e/helpers";

const SOME_ADDRESS = "0x0000000000000000000000000000000000000001";

type App = { applicantId: bigint; score: bigint; salt: bigint };
const app = (applicantId: bigint, score: bigint): App => ({ applicantId, score, salt: fe(`salt/${applicantId}`) });
/** Two batches of size 4 against threshold 650: [approved, denied, approved (= threshold), empty], [approved, denied, empty, empty]. */
const BATCHES: App[][] = [
  [app(1001n, 640n), app(1002n, 700n), app(1003n, 650n)],
  [app(1004n, 100n), app(1005n, 651n)],
];

function batchOf(apps: App[], n: number, seed: string): BatchValues {
  let decisionBits = 0n;
  apps.forEach((a, i) => (decisionBits |= a.score <= THRESHOLD ? 1n << BigInt(i) : 0n));
  const commitments = Array.from({ length: n }, (_, i) => (i < apps.length ? commitment(apps[i]) : 0n));
  return { tapeDigest: fe(`${seed}/tape`), decisionBits, activeCount: BigInt(apps.length), commitments };
}

async function attested() {
  const f = await anchorFixture(4);
  const deployBlock = (await f.anchor.deploymentTransaction()!.wait())!.blockNumber;
  const txs = [];
  for (const [i, apps] of BATCHES.entries()) {
    await mine(3); // empty blocks between batches, so that small chunks cross batch-less ranges
    const batch = batchOf(apps, f.batchSize, `b${i}`);
    const [p, z] = [policyProofWords(`b${i}`), zkvmProofWords(`b${i}`)];
    await expectProofs(f, batch, p, z);
    const tx = await f.anchor.connect(f.submitter).attest(f.policyId, BigInt(i), batch, p, z);
    const receipt = (await tx.wait())!;
    const block = (await ethers.provider.getBlock(receipt.blockNumber))!;
    txs.push({ hash: tx.hash, blockNumber: receipt.blockNumber, time: block.timestamp });
  }
  await mine(2);
  return { ...f, address: await f.anchor.getAddress(), deployBlock, txs };
}

describe("inclusion check of one decision (mock verifiers, in-process network)", function () {
  it("confirms a decision from (applicantId, score, salt): batch, slot, policy, transaction, time, both proofs", async () => {
    const f = await loadFixture(attested);
    const e = BATCHES[1][1]; // denied, batch nonce 1, slot 1
    const r = await checkInclusion(ethers.provider, f.address, { ...e, approved: false });
    expect(r).to.deep.include({
      ok: true,
      found: true,
      anchor: f.address,
      chainId: 31337n,
      commitment: commitment(e),
      applicantId: 1005n,
      claims: { approved: false },
      fromBlock: f.deployBlock,
      batchesScanned: 2,
      policyId: 1n,
      threshold: THRESHOLD,
      methodId: METHOD_ID,
      batchNonce: 1n,
      slot: 1,
      approved: false,
      decision: "denied",
      txHash: f.txs[1].hash,
      blockNumber: f.txs[1].blockNumber,
      blockTime: f.txs[1].time,
      offChainValid: true,
      onChainValid: true,
      occurrences: [{ batchNonce: 1n, slot: 1 }],
    });
    expect(r.reason).to.equal(undefined);
    expect(r.merkleProof).to.have.length(2);
    expect(r.contractDecisionsRoot).to.equal(await f.anchor.decisionsRoot(1n));
    expect(r.eventDecisionsRoot).to.equal(r.contractDecisionsRoot);

    const edge = await checkInclusion(ethers.provider, f.address, { ...BATCHES[0][2], approved: true });
    expect(edge).to.deep.include({ ok: true, batchNonce: 0n, slot: 2, decision: "approved", txHash: f.txs[0].hash });
    const byCommitment = await checkInclusion(ethers.provider, f.address, { commitment: commitment(BATCHES[0][0]) });
    expect(byCommitment).to.deep.include({ ok: true, batchNonce: 0n, slot: 0, approved: true, claims: {} });
    expect(byCommitment.applicantId).to.equal(undefined);
  });

  it("a wrong score or a wrong salt gives another commitment: not found", async () => {
    const f = await loadFixture(attested);
    const e = BATCHES[1][0];
    for (const q of [
      { ...e, score: e.score + 1n },
      { ...e, salt: e.salt + 1n },
    ]) {
      const r = await checkInclusion(ethers.provider, f.address, q);
      expect(r).to.deep.include({ ok: false, found: false, commitment: commitment(q), batchesScanned: 2 });
      expect(r.reason).to.equal(
        `no attested batch holds the commitment of applicant 1004 with this score and salt (${commitment(q)}): ` +
          `scanned 2 batch(es) in blocks ${f.deployBlock}..${r.toBlock}; a wrong score or salt gives another commitment: check the receipt row`,
      );
      expect(r.slot).to.equal(undefined);
    }
  });

  it("a claimed decision that differs from the chain's is not confirmed, and the reason names both", async () => {
    const f = await loadFixture(attested);
    const r = await checkInclusion(ethers.provider, f.address, { ...BATCHES[1][1], approved: true });
    expect(r).to.deep.include({ ok: false, found: true, approved: false, offChainValid: true, onChainValid: true });
    expect(r.reason).to.equal(
      "the chain records this decision as denied (batch nonce 1, slot 1, policy 1), not approved as claimed",
    );
    const wrong = await checkInclusion(ethers.provider, f.address, {
      ...BATCHES[0][1],
      nonce: 1n,
      slot: 0,
      policyId: 2n,
      txHash: f.txs[1].hash,
    });
    expect(wrong.ok).to.equal(false);
    expect(wrong.reason).to.equal(
      `it was attested under policy 1, not policy 2 as claimed; it is in batch nonce 0, not nonce 1 as claimed; ` +
        `it was attested in transaction ${f.txs[0].hash}, not ${f.txs[1].hash} as claimed`,
    );
  });

  it("reads the events in chunks of one block, or only a given range", async () => {
    const f = await loadFixture(attested);
    const e = BATCHES[1][1];
    const whole = await checkInclusion(ethers.provider, f.address, e);
    const progress: number[] = [];
    const one = await checkInclusion(ethers.provider, f.address, e, { chunk: 1, onProgress: (d) => progress.push(d) });
    expect(one).to.deep.equal(whole);
    expect(progress).to.have.length(one.toBlock - f.deployBlock + 1);
    const exact = await checkInclusion(ethers.provider, f.address, e, {
      fromBlock: f.txs[1].blockNumber,
      toBlock: f.txs[1].blockNumber,
    });
    expect(exact).to.deep.include({ ok: true, fromBlock: f.txs[1].blockNumber, batchesScanned: 1, slot: 1 });
    const before = await checkInclusion(ethers.provider, f.address, e, { toBlock: f.txs[1].blockNumber - 1 });
    expect(before).to.deep.include({ ok: false, found: false, batchesScanned: 1 });
  });

  it("throws AnchorHistoryError when there is no contract at the address, UsageError for a bad query", async () => {
    await loadFixture(attested);
    const nobody = "0x000000000000000000000000000000000000dead";
    const err = await checkInclusion(ethers.provider, nobody, BATCHES[0][0]).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AnchorHistoryError);
    expect((err as AnchorHistoryError).code).to.equal("chain-unreadable");
    expect((err as Error).message).to.match(
      /^no contract at 0x000000000000000000000000000000000000dEaD on chain 31337 at block \d+$/,
    );
    const bad = await checkInclusion(ethers.provider, nobody, { commitment: 0n }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(UsageError);
    expect((bad as Error).message).to.equal(
      "a commitment must satisfy 0 < commitment < r (BN254 scalar field order), got 0",
    );
  });

  it("reads a receipts row; the row's recorded values are the claims; an edited row fails", async () => {
    const f = await loadFixture(attested);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-inclusion-"));
    try {
      const file = path.join(dir, "receipts.csv");
      const e = BATCHES[1][1];
      const row = (decision: string, score = e.score) =>
        `${e.applicantId},${score},${e.salt},no,${commitment(e)},1,1,1,1,${decision},${f.txs[1].hash}`;
      const header = "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce,policyId,decision,txHash";
      fs.writeFileSync(file, [header, row("denied"), ""].join("\n"));
      const r = readReceipt(file, 1005n);
      expect(r).to.deep.equal({
        applicantId: 1005n,
        score: e.score,
        salt: e.salt,
        commitment: commitment(e),
        batch: 1,
        slot: 1,
        nonce: 1n,
        policyId: 1n,
        decision: "denied",
        txHash: f.txs[1].hash,
      });
      expect((await checkInclusion(ethers.provider, f.address, receiptQuery(r))).ok).to.equal(true);

      fs.writeFileSync(file, [header, row("approved"), ""].join("\n"));
      const edited = await checkInclusion(ethers.provider, f.address, receiptQuery(readReceipt(file, 1005n)));
      expect(edited.reason).to.equal(
        "the chain records this decision as denied (batch nonce 1, slot 1, policy 1), not approved as claimed",
      );
      expect(() => readReceipt(file, 7n)).to.throw(UsageError, `applicant 7 is not in ${file} (1 row(s))`);
      fs.writeFileSync(file, [header, row("denied", 600n), ""].join("\n"));
      expect(() => readReceipt(file, 1005n)).to.throw(
        UsageError,
        /line 2: the commitment column .* the row was altered/,
      );
      // A receipts file from before the policyId/decision/txHash columns: no claims but the decision's place.
      const old =
        "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce\n" +
        row("x").split(",").slice(0, 8).join(",");
      fs.writeFileSync(file, old + "\n");
      expect(receiptQuery(readReceipt(file, 1005n))).to.deep.equal({ ...e, nonce: 1n, slot: 1 } as ApplicationQuery);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks anchor:inclusion's arguments before touching the chain", () => {
    const bad: [Record<string, string>, string][] = [
      [{}, "nothing to check"],
      [
        { receipts: "r.csv", applicant: "1", commitment: "5" },
        "--receipts/--applicant and --commitment exclude each other",
      ],
      [{ receipts: "r.csv" }, "--receipts and --applicant go together"],
      [{ commitment: "12abc" }, '--commitment must be a non-negative integer (decimal or 0x-hex), got "12abc"'],
      [
        { receipts: "r.csv", applicant: "-1" },
        '--applicant must be a non-negative integer (decimal or 0x-hex), got "-1"',
      ],
      [{ commitment: "5", decision: "maybe" }, '--decision must be approved or denied, got "maybe"'],
      [{ commitment: "5", chunk: "0" }, '--chunk must be at least 1, got "0"'],
      [{ commitment: "5", fromBlock: "9", toBlock: "3" }, "--from-block 9 is after --to-block 3"],
      [{ commitment: "5", address: "0x12" }, '--address must be a 0x address, got "0x12"'],
    ];
    for (const [args, message] of bad) expect(() => parseInclusionArgs(args), message).to.throw(UsageError, message);
    expect(parseInclusionArgs({ commitment: "0x10", decision: "Denied", fromBlock: "3", chunk: "1" })).to.deep.equal({
      address: undefined,
      source: { commitment: 16n },
      approved: false,
      options: { fromBlock: 3, toBlock: undefined, chunk: 1 },
    });
  });
});

describe("receipts of a pipeline run on the real anchor, checked by the borrower", function () {
  const BATCH = policyParams("test").batchSize;
  it("fills policyId, nonce, slot, decision and txHash; every row is confirmed on chain", async () => {
    const [admin] = await ethers.getSigners();
    const Mock = await ethers.getContractFactory("MockVerifier");
    const policyMock = await Mock.deploy();
    const zkvmMock = await Mock.deploy();
    const anchor = (await (
      await ethers.getContractFactory("StateAnchor")
    ).deploy(await zkvmMock.getAddress(), admin.address, 0, 0)) as unknown as Contract;
    await (await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), admin.address)).wait();
    await (await anchor.grantRole(await anchor.SUBMITTER_ROLE(), admin.address)).wait();
    await (await anchor.schedulePolicy(await policyMock.getAddress(), ZeroHash, BATCH, METHOD_ID, 600n)).wait();
    const address = await anchor.getAddress();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-inclusion-run-"));
    try {
      const input = path.join(dir, "apps.csv");
      const scores = Array.from({ length: 2 * BATCH + 1 }, (_, i) => 560 + 20 * i);
      fs.writeFileSync(input, "applicantId,score\n" + scores.map((s, i) => `${i + 1},${s}`).join("\n") + "\n");
      const client = new EthersAnchorClient(address, admin, ethers.provider);
      const { plan, store } = await openRun({
        input,
        context: {
          chainId: 31337n,
          anchor: address,
          domain: BigInt(await anchor.domain()),
          policyId: 1n,
          methodId: METHOD_ID,
          threshold: 600n,
          profile: "test",
          batchSize: BATCH,
          scoreBits: 32,
        },
        policy: policyModel("test"),
        state: anchorStateModel,
        readStart: () => client.readState(),
        runsDir: dir,
      });
      await proveRun(plan, store, { concurrency: 1, proverModule: path.join(__dirname, "../pipeline/fake-prover.ts") });
      await submitRun(plan, store, client, { pollMs: 5 });
      const hashes = store.readManifest().batches.map((b) => b.txHash!);
      expect(fs.statSync(store.receiptsFile).mode & 0o777).to.equal(0o600);
      for (const [i, score] of scores.entries()) {
        const row = readReceipt(store.receiptsFile, BigInt(i + 1));
        const batch = Math.floor(i / BATCH);
        expect(row).to.deep.include({
          batch,
          slot: i % BATCH,
          nonce: BigInt(batch),
          policyId: 1n,
          decision: score <= 600 ? "approved" : "denied",
          txHash: hashes[batch],
        });
        const r = await checkInclusion(ethers.provider, address, receiptQuery(row));
        expect([r.ok, r.reason, r.txHash]).to.deep.equal([true, undefined, hashes[batch]]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("anchor:inclusion on the command line", function () {
  this.timeout(300_000);
  const explain = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

  it("exits 2 with the reason for bad arguments, without a node", async () => {
    const r = await runCli(["anchor:inclusion", "--commitment", "12abc", "--address", SOME_ADDRESS], {});
    expect(r.code, explain(r)).to.equal(2);
    expect(r.stderr).to.contain(
      'error bad-argument: --commitment must be a non-negative integer (decimal or 0x-hex), got "12abc"',
    );
    expect(r.stderr).to.not.match(/\n\s+at /); // no stack trace
  });

  it("against anvil: a receipts row confirmed (exit 0, JSON), a wrong claimed decision not (exit 1)", async () => {
    const node = await startAnvil();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-inclusion-cli-"));
    try {
      const wallet = new Wallet(ANVIL_KEY, new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 }));
      const deploy = async (name: string, args: unknown[] = []) => {
        const a = await hre.artifacts.readArtifact(name);
        const c = await new ContractFactory(a.abi, a.bytecode, wallet).deploy(...args);
        await c.waitForDeployment();
        return c as unknown as Contract;
      };
      const [policyMock, zkvmMock] = [await deploy("MockVerifier"), await deploy("MockVerifier")];
      const anchor = await deploy("StateAnchor", [await zkvmMock.getAddress(), wallet.address, 0, 0]);
      await (await anchor.grantRole(await anchor.SUBMITTER_ROLE(), wallet.address)).wait();
      await (await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), wallet.address)).wait();
      await (await anchor.schedulePolicy(await policyMock.getAddress(), ZeroHash, 4, METHOD_ID, THRESHOLD)).wait();
      const batch = batchOf(BATCHES[0], 4, "cli");
      const tx = await anchor.attest(1n, 0n, batch, policyProofWords("cli"), zkvmProofWords("cli"));
      await tx.wait();
      const a = BATCHES[0][1]; // denied, slot 1
      const receipts = path.join(dir, "receipts.csv");
      fs.writeFileSync(
        receipts,
        "applicantId,score,salt,saltGenerated,commitment,batch,slot,nonce,policyId,decision,txHash\n" +
          `${a.applicantId},${a.score},${a.salt},no,${commitment(a)},0,1,0,1,denied,${tx.hash}\n`,
      );
      const env = { ZKLA_E2E_RPC_URL: node.url };
      const common = ["anchor:inclusion", "--network", "e2e", "--address", await anchor.getAddress()];
      const ok = await runCli([...common, "--receipts", receipts, "--applicant", "1002", "--json"], env);
      expect(ok.code, explain(ok)).to.equal(0);
      const json = JSON.parse(ok.stdout);
      expect(json).to.deep.include({
        ok: true,
        found: true,
        commitment: commitment(a).toString(),
        applicantId: "1002",
        policyId: "1",
        threshold: THRESHOLD.toString(),
        batchNonce: "0",
        slot: 1,
        approved: false,
        decision: "denied",
        txHash: tx.hash,
        offChainValid: true,
        onChainValid: true,
      });
      expect(json.blockTimeIso).to.equal(new Date(json.blockTime * 1000).toISOString());

      const no = await runCli([...common, "--commitment", commitment(a).toString(), "--decision", "approved"], env);
      expect(no.code, explain(no)).to.equal(1);
      expect(no.stdout).to.contain(`commitment ${commitment(a)}: DENIED\n`);
      expect(no.stdout.trim().split("\n").at(-1)).to.equal(
        "not confirmed: the chain records this decision as denied (batch nonce 0, slot 1, policy 1), not approved as claimed",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await node.stop();
    }
  });
});
