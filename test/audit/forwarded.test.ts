/**
 * An attest made through another contract (a relayer, a multisig): its calldata is not the transaction's
 * input. The audit finds it with the node's call tracer (anvil) and, on a node without one (Hardhat's
 * in-process network), says "not re-verified" naming the transaction. Mock verifiers: this is about
 * finding the calldata, not about the proofs.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { ContractFactory, JsonRpcProvider, Wallet, type Contract } from "ethers";
import { readAttestCalldata } from "../../src/anchor/history";
import { stateAnchorInterface } from "../../src/anchor";
import { auditAnchor } from "../../src/audit";
import { makeBatch, policyProofWords, zkvmProofWords, METHOD_ID, THRESHOLD, VKEY_HASH } from "../anchor/helpers";
import { ANVIL_KEY, startAnvil, type Node } from "../e2e/helpers";

const BATCH = makeBatch("forwarded", 2);
const attestData = () =>
  stateAnchorInterface.encodeFunctionData("attest", [1n, 0n, BATCH, policyProofWords("f"), zkvmProofWords("f")]);

/** Mock verifiers (accept anything), an anchor, a forwarder holding SUBMITTER_ROLE, one forwarded attest. */
async function forwardedAttest(signer: import("ethers").Signer): Promise<{ anchor: string; txHash: string }> {
  const deploy = async (name: string, ...args: unknown[]): Promise<Contract> => {
    const a = await hre.artifacts.readArtifact(name);
    const c = await new ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
    await c.waitForDeployment();
    return c as Contract;
  };
  const policyVerifier = await deploy("MockVerifier");
  const zkvmVerifier = await deploy("MockVerifier");
  const me = await signer.getAddress();
  const anchor = await deploy("StateAnchor", await zkvmVerifier.getAddress(), me, 0, 0);
  const forwarder = await deploy("AttestForwarder");
  await (await anchor.getFunction("grantRole")(await anchor.getFunction("SUBMITTER_ROLE")(), forwarder)).wait();
  await (await anchor.getFunction("grantRole")(await anchor.getFunction("POLICY_ADMIN_ROLE")(), me)).wait();
  await (
    await anchor.getFunction("schedulePolicy")(await policyVerifier.getAddress(), VKEY_HASH, 2, METHOD_ID, THRESHOLD)
  ).wait();
  const tx = await forwarder.getFunction("forward")(await anchor.getAddress(), attestData());
  await tx.wait();
  expect(await anchor.getFunction("nonce")()).to.equal(1n);
  return { anchor: await anchor.getAddress(), txHash: tx.hash };
}

describe("audit: attest calls made through another contract", function () {
  this.timeout(120_000);

  it("a node without a call tracer: the batch is 'not re-verified', naming the transaction", async function () {
    const [signer] = await ethers.getSigners();
    const { anchor, txHash } = await forwardedAttest(signer);
    const found = await readAttestCalldata(ethers.provider, anchor, txHash, 0n);
    expect(found.found).to.equal(false);
    if (!found.found)
      expect(found.reason).to.match(
        new RegExp(`^transaction ${txHash} called 0x[0-9a-fA-F]{40}, not the anchor, and the node has no call tracer`),
      );
    const report = await auditAnchor(anchor, ethers.provider, { keySets: [] });
    const c = report.checks.find((x) => x.check === "proofs-reverified" && x.subject === "batch nonce 0");
    expect(c?.status).to.equal("warn");
    expect(c?.reason).to.match(new RegExp(`^not re-verified: transaction ${txHash} called`));
    expect(c?.evidence.tx).to.equal(txHash);
  });

  describe("on anvil (callTracer)", function () {
    let node: Node;
    before(async function () {
      node = await startAnvil();
    });
    after(async function () {
      await node?.stop();
    });

    it("finds the attest calldata in the call trace", async function () {
      const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
      const { anchor, txHash } = await forwardedAttest(new Wallet(ANVIL_KEY, provider));
      const found = await readAttestCalldata(provider, anchor, txHash, 0n);
      expect(found.found, found.found ? "" : found.reason).to.equal(true);
      if (found.found) {
        expect(found.via).to.equal("call tracer");
        expect(found.calldata.batch).to.deep.equal(BATCH);
        expect(found.calldata.policyProof).to.deep.equal(policyProofWords("f"));
      }
      // Another nonce is not in that transaction.
      const other = await readAttestCalldata(provider, anchor, txHash, 1n);
      expect(other.found).to.equal(false);
      provider.destroy();
    });
  });
});
