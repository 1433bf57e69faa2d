/**
 * The pipeline against the real StateAnchor on the in-process Hardhat network, with mock verifiers
 * (so the fake prover's proof words are accepted): EthersAnchorClient (sending, receipts, revert
 * decoding), the real PolicyModel/StateModel (the planned roots must be the contract's), target
 * resolution, and the audit of the resulting events.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import type { Contract } from "ethers";
import {
  AnchorRevertError,
  EthersAnchorClient,
  attestCall,
  replacementFees,
  anchorStateModel,
  finalRoot,
  openRun,
  policyModel,
  proveRun,
  resolveTarget,
  submitRun,
} from "../../src/pipeline";
import { auditAnchor, auditEvents, type AttestedEvent } from "../../src/audit";
import type { DeploymentManifest } from "../../src/anchor/deploy";
import { policyParams } from "../../src/policy";

const FAKE_PROVER = path.join(__dirname, "fake-prover.ts");
const METHOD_ID = 4242n;
const THRESHOLD = 600n;
/** The test build's batch size (resolveTarget checks the policy against it). */
const BATCH = policyParams("test").batchSize;
/** 2 * BATCH + 1 applications: three batches, the last one partial; scores 550, 570, ... */
const SCORES = Array.from({ length: 2 * BATCH + 1 }, (_, i) => 550 + 20 * i);
const APPROVED = SCORES.filter((s) => s <= Number(THRESHOLD)).length;

describe("pipeline on the real StateAnchor (in-process network, mock verifiers)", function () {
  let dir: string;
  let anchor: Contract;
  let policyMock: Contract;
  let deployment: DeploymentManifest;
  let deployBlock: number;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-chain-"));
    const [admin] = await ethers.getSigners();
    const Mock = await ethers.getContractFactory("MockVerifier");
    policyMock = (await Mock.deploy()) as unknown as Contract;
    const zkvmMock = await Mock.deploy();
    const a = await (
      await ethers.getContractFactory("StateAnchor")
    ).deploy(await zkvmMock.getAddress(), admin.address, 0, 0);
    deployBlock = (await a.deploymentTransaction()!.wait())!.blockNumber;
    anchor = a as unknown as Contract;
    await (await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), admin.address)).wait();
    await (await anchor.grantRole(await anchor.SUBMITTER_ROLE(), admin.address)).wait();
    await (
      await anchor.schedulePolicy(await policyMock.getAddress(), ethers.ZeroHash, BATCH, METHOD_ID, THRESHOLD)
    ).wait();
    deployment = {
      chainId: (await ethers.provider.getNetwork()).chainId.toString(),
      profile: "test",
      contracts: { stateAnchor: { address: await anchor.getAddress(), blockNumber: deployBlock } },
      policies: [{ policyId: "1" }],
    } as unknown as DeploymentManifest;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(input: string, newRun = false) {
    const [signer] = await ethers.getSigners();
    const { context, policy } = await resolveTarget({
      deployment,
      provider: ethers.provider,
      policy: policyModel,
      guestMethodId: METHOD_ID,
    });
    const client = new EthersAnchorClient(context.anchor, signer, ethers.provider);
    const opened = await openRun({
      input,
      context,
      policy,
      state: anchorStateModel,
      readStart: () => client.readState(),
      runsDir: dir,
      newRun,
    });
    await proveRun(opened.plan, opened.store, { concurrency: 2, proverModule: FAKE_PROVER });
    return { ...opened, client };
  }

  it("resolves the target from the manifest and the chain, and refuses a mismatch", async () => {
    const { context } = await resolveTarget({
      deployment,
      provider: ethers.provider,
      policy: policyModel,
      guestMethodId: METHOD_ID,
    });
    expect(context).to.include({
      policyId: 1n,
      methodId: METHOD_ID,
      threshold: THRESHOLD,
      batchSize: BATCH,
      profile: "test",
    });
    await resolveTarget({ deployment, provider: ethers.provider, policy: policyModel, guestMethodId: 1n }).then(
      () => expect.fail(),
      (e: Error) =>
        expect(e.message).to.match(/policy 1 expects guest method 4242 but guests\/loan-attest\.asm has method 1/),
    );
    await resolveTarget({
      deployment: { ...deployment, chainId: "5" },
      provider: ethers.provider,
      policy: policyModel,
      guestMethodId: METHOD_ID,
    }).then(
      () => expect.fail(),
      (e: Error & { code?: string; hint?: string }) => {
        // On the in-process network (no --network given) the error says so and names the option.
        expect(e.code).to.equal("wrong-network");
        expect(e.message).to.match(
          /manifest is for chain 5 but the network is chain 31337 \(Hardhat's in-process network, used when no --network is given\)$/,
        );
        expect(e.hint).to.match(/^pass --network .+ \(chain 5\), or the matching --deployment$/);
      },
    );
  });

  it("attests three batches; the planned roots are the contract's; the audit rebuilds them from events", async () => {
    const input = path.join(dir, "apps.csv");
    fs.writeFileSync(input, "applicantId,score\n" + SCORES.map((score, i) => `${i + 1},${score}`).join("\n") + "\n");
    const { plan, store, client } = await run(input);
    const summary = await submitRun(plan, store, client, { pollMs: 5 });
    expect(summary).to.include({ sent: 3, skipped: 0, decisionsSent: SCORES.length });
    expect(summary.gasUsed > 0n).to.equal(true);
    expect(BigInt(await anchor.nonce())).to.equal(3n);
    expect(BigInt(await anchor.stateRoot())).to.equal(finalRoot(plan));
    // Running it again is a no-op.
    expect(await submitRun(plan, store, client, { pollMs: 5 })).to.include({ sent: 0, skipped: 3 });

    // No key sets: the mocks are compared with nothing (the verifier-key check is test/audit's).
    const report = await auditAnchor(await anchor.getAddress(), ethers.provider, {
      fromBlock: deployBlock,
      keySets: [],
    });
    const rootChain = report.checks.filter((c) => c.check === "root-chain");
    expect(rootChain.map((c) => [c.status, c.reason.split(":")[0]])).to.deep.equal([
      ["pass", "3 batch(es) rebuilt from events in nonce order from the genesis root"],
    ]);
    expect(APPROVED).to.be.within(1, SCORES.length - 1); // both outcomes occur
    expect(report.totals).to.deep.equal({
      batches: 3,
      decisions: SCORES.length,
      approved: APPROVED,
      denied: SCORES.length - APPROVED,
    });
    expect(report.state.stateRoot).to.equal(finalRoot(plan));
    expect(report.batches.map((b) => b.newRoot)).to.deep.equal(plan.batches.map((b) => b.newRoot));
    // Mock verifiers are no generated verifiers, and method 4242 is no guest of this repository.
    expect(report.verdict).to.equal("fail");
    const failed = report.checks
      .filter((c) => c.status === "fail")
      .map((c) => `${c.check} ${c.subject.split(" 0x")[0]}`);
    expect(failed).to.include.members([
      "verifier-key zkVM verifier",
      "verifier-key policy 1 verifier",
      "method-guest policy 1",
    ]);
  });

  it("the audit reports tampered events", async () => {
    const good = await auditAnchor(await anchor.getAddress(), ethers.provider, { fromBlock: deployBlock, keySets: [] });
    const c = anchor;
    const events: AttestedEvent[] = [];
    for (const l of await c.queryFilter(c.filters.BatchAttested(), deployBlock)) {
      const a = (l as unknown as { args: Record<string, never> }).args;
      events.push({
        nonce: a.nonce,
        policyId: a.policyId,
        prevRoot: a.prevRoot,
        newRoot: a.newRoot,
        methodId: a.methodId,
        tapeDigest: a.tapeDigest,
        decisionBits: a.decisionBits,
        activeCount: a.activeCount,
        decisionsRoot: a.decisionsRoot,
        blockNumber: l.blockNumber,
        txHash: l.transactionHash,
      });
    }
    for (const l of await c.queryFilter(c.filters.DecisionsAttested(), deployBlock)) {
      const a = (l as unknown as { args: { nonce: bigint; decisionBits: bigint; commitments: bigint[] } }).args;
      events[Number(a.nonce)].decisions = { decisionBits: a.decisionBits, commitments: [...a.commitments] };
    }
    const snapshot = {
      domain: BigInt(await c.domain()),
      stateRoot: good.state.stateRoot,
      nonce: 3n,
      decisionCount: BigInt(SCORES.length),
      decisionsRootOf: async (n: bigint) => String(await c.decisionsRoot(n)),
    };
    expect((await auditEvents("x", events, snapshot)).problems).to.deep.equal([]);
    const flipped = events.map((e, i) =>
      i === 1 ? { ...e, decisions: { ...e.decisions!, commitments: [1n, ...e.decisions!.commitments.slice(1)] } } : e,
    );
    expect((await auditEvents("x", flipped, snapshot)).problems.join("\n")).to.match(
      /batch nonce 1 .*decisions root recomputed from the events differs/,
    );
    const dropped = [events[0], events[2]];
    const p = (await auditEvents("x", dropped, snapshot)).problems.join("\n");
    expect(p).to.match(/expected nonce 1/);
    expect(p).to.match(/prevRoot \d+ is not the running root/);
    expect(p).to.match(/nonce 3 is not the number of attested batches 2/);
  });

  it("a permanent revert stops the run with the decoded custom error and sends nothing", async () => {
    const input = path.join(dir, "more.csv");
    fs.writeFileSync(input, "applicantId,score\n100,1\n101,2\n");
    const { plan, store, client } = await run(input);
    expect(plan.startNonce).to.equal(3n);
    await (await policyMock.setMode(1)).wait(); // Reject
    const [signer] = await ethers.getSigners();
    const before = await ethers.provider.getTransactionCount(signer.address);
    const err = await submitRun(plan, store, client, { pollMs: 5 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AnchorRevertError);
    expect((err as AnchorRevertError).errorName).to.equal("PolicyProofRejected");
    expect((err as AnchorRevertError).errorArgs).to.deep.equal([1n]);
    expect((err as Error).message).to.match(/^batch 0: the anchor reverted with PolicyProofRejected\(1\)/);
    expect(await ethers.provider.getTransactionCount(signer.address)).to.equal(before);
    await (await policyMock.setMode(0)).wait();
    expect(await submitRun(plan, store, client, { pollMs: 5 })).to.include({ sent: 1 });
    expect(BigInt(await anchor.stateRoot())).to.equal(finalRoot(plan));
  });

  it("EthersAnchorClient replaces a stuck attest: the node refuses a same-fee resend, takes the bumped one, mines only it", async () => {
    const input = path.join(dir, "stuck.csv");
    fs.writeFileSync(input, "applicantId,score\n200,1\n");
    const { plan, store, client } = await run(input);
    const call = attestCall(plan, store.loadBatch(plan.batches[0])!);
    const before = BigInt(await anchor.nonce());
    await network.provider.send("evm_setAutomine", [false]);
    try {
      const accountNonce = await client.accountNonce("pending");
      const first = await client.send(call, accountNonce);
      expect(first.fees && "maxFeePerGas" in first.fees, "EIP-1559 fees reported").to.equal(true);
      expect(await client.accountNonce("pending")).to.equal(accountNonce + 1);
      // 5% more is not enough for a replacement (nodes want >= 10%).
      const f = first.fees as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
      const timid = {
        maxFeePerGas: (f.maxFeePerGas * 105n) / 100n,
        maxPriorityFeePerGas: (f.maxPriorityFeePerGas * 105n) / 100n,
      };
      const again = await client.send(call, accountNonce, timid).catch((e: unknown) => e);
      expect(String((again as Error).message)).to.match(/replacement transaction underpriced/i);
      const bumped = replacementFees(first.fees!, await client.suggestedFees());
      const second = await client.send(call, accountNonce, bumped);
      expect(second.fees).to.deep.equal(bumped);
      await network.provider.send("evm_mine", []);
      expect(await ethers.provider.getTransactionReceipt(first.hash)).to.equal(null);
      expect((await ethers.provider.getTransactionReceipt(second.hash))?.status).to.equal(1);
      expect(BigInt(await anchor.nonce())).to.equal(before + 1n);
      expect(BigInt(await anchor.stateRoot())).to.equal(finalRoot(plan));
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
  });
});
