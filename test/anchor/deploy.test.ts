import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers, network } from "hardhat";
import { keccak256 } from "ethers";
import { anchorDomain, deployAnchor, genesisRoot, DEPLOYMENT_FORMAT, type DeploymentManifest } from "../../src/anchor";
import { REPO_ROOT } from "../../src/paths";

/** A repository root with the registry and stand-in build outputs (vkeys, build manifest). */
function fakeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-deploy-"));
  fs.mkdirSync(path.join(root, "circuits"));
  fs.copyFileSync(path.join(REPO_ROOT, "circuits", "registry.json"), path.join(root, "circuits", "registry.json"));
  for (const c of ["policy", "zkvm"]) {
    fs.mkdirSync(path.join(root, "build", "test", c), { recursive: true });
    fs.writeFileSync(
      path.join(root, "build", "test", c, `${c}.vkey.json`),
      JSON.stringify({ protocol: c, stand_in: true }),
    );
  }
  fs.writeFileSync(
    path.join(root, "build", "test", "manifest.json"),
    JSON.stringify({ schema: 1, profile: "test", circuits: {} }),
  );
  return root;
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  expect(error!.message).to.match(message);
}

const MOCKS = { policy: "MockVerifier", zkvm: "MockVerifier" };

describe("anchor deployment (deployAnchor)", function () {
  let root: string;
  let outFile: string;
  before(function () {
    root = fakeRoot();
    outFile = path.join(root, "deployments", `${network.name}.json`);
  });
  after(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const options = (extra: object = {}) => ({
    profile: "test" as const,
    threshold: 650n,
    methodId: 77n,
    root,
    outFile,
    verifierContracts: MOCKS,
    ...extra,
  });

  it("deploys verifiers and anchor, registers the policy, grants roles and writes the manifest", async function () {
    const [deployer, submitter] = await ethers.getSigners();
    const logs: string[] = [];
    const m = await deployAnchor(hre, options({ submitters: [submitter.address] }), (l) => logs.push(l));
    expect(JSON.parse(fs.readFileSync(outFile, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(m)));
    expect(m.format).to.equal(DEPLOYMENT_FORMAT);
    expect(m.chainId).to.equal((await ethers.provider.getNetwork()).chainId.toString());
    expect(m.profile).to.equal("test");
    expect(m.deployer).to.equal(deployer.address);
    expect(m.compiler.solc).to.equal("0.8.28");
    expect(m.build.manifestHash).to.equal(
      keccak256(fs.readFileSync(path.join(root, "build", "test", "manifest.json"))),
    );
    const vkeyHash = keccak256(fs.readFileSync(path.join(root, "build", "test", "policy", "policy.vkey.json")));
    expect(m.build.circuits.policy.vkeyHash).to.equal(vkeyHash);
    for (const c of Object.values(m.contracts)) {
      const code = await ethers.provider.getCode(c.address);
      expect(keccak256(code)).to.equal(c.codeHash);
      const receipt = await ethers.provider.getTransactionReceipt(c.txHash);
      expect(receipt?.contractAddress).to.equal(c.address);
      expect(receipt?.blockNumber).to.equal(c.blockNumber);
    }
    const anchor = await ethers.getContractAt("StateAnchor", m.contracts.stateAnchor.address);
    expect(await anchor.zkvmVerifier()).to.equal(m.contracts.zkvmVerifier.address);
    const domain = anchorDomain(BigInt(m.chainId), m.contracts.stateAnchor.address);
    expect(m.anchor.domain).to.equal(domain.toString());
    expect(m.anchor.genesisRoot).to.equal(genesisRoot(domain).toString());
    expect(await anchor.stateRoot()).to.equal(genesisRoot(domain));
    const p = await anchor.policy(1n);
    expect(p.verifier).to.equal(m.contracts.policyVerifier.address);
    expect(p.batchSize).to.equal(2n); // registry: test profile N
    expect(p.methodId).to.equal(77n);
    expect(p.threshold).to.equal(650n);
    expect(p.vkeyHash).to.equal(vkeyHash);
    expect(m.policies).to.have.length(1);
    expect(m.policies[0]).to.include({ policyId: "1", methodId: "77", threshold: "650", batchSize: 2, vkeyHash });
    expect(await anchor.hasRole(await anchor.SUBMITTER_ROLE(), submitter.address)).to.equal(true);
    expect(await anchor.hasRole(await anchor.SUBMITTER_ROLE(), deployer.address)).to.equal(false);
    expect(m.roles.map((r) => r.role)).to.deep.equal(["POLICY_ADMIN_ROLE", "PAUSER_ROLE", "SUBMITTER_ROLE"]);
    expect(m.methodIds.loan).to.equal("77");
    expect(logs.some((l) => l.startsWith("StateAnchor: deployed at"))).to.equal(true);
  });

  it("re-running skips everything already deployed (no transaction sent)", async function () {
    const before = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    const block = await ethers.provider.getBlockNumber();
    const [, submitter] = await ethers.getSigners();
    const logs: string[] = [];
    const m = await deployAnchor(hre, options({ submitters: [submitter.address] }), (l) => logs.push(l));
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(m.contracts).to.deep.equal(before.contracts);
    expect(m.policies).to.deep.equal(before.policies);
    expect(m.roles).to.deep.equal(before.roles);
    expect(logs.filter((l) => l.includes("reusing"))).to.have.length(4);
  });

  it("registers a new policy (never edits one in place) when the threshold changes", async function () {
    const m = await deployAnchor(hre, options({ threshold: 700n }));
    const before = m.contracts;
    expect(m.policies.map((p) => p.policyId)).to.deep.equal(["1", "2"]);
    const anchor = await ethers.getContractAt("StateAnchor", before.stateAnchor.address);
    expect((await anchor.policy(1n)).threshold).to.equal(650n);
    expect((await anchor.policy(2n)).threshold).to.equal(700n);
  });

  it("redeploys what is no longer at its recorded address", async function () {
    const before = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    await network.provider.send("hardhat_setCode", [before.contracts.stateAnchor.address, "0x"]);
    const m = await deployAnchor(hre, options());
    expect(m.contracts.policyVerifier).to.deep.equal(before.contracts.policyVerifier);
    expect(m.contracts.zkvmVerifier).to.deep.equal(before.contracts.zkvmVerifier);
    expect(m.contracts.stateAnchor.address).to.not.equal(before.contracts.stateAnchor.address);
    expect(m.policies.map((p) => p.policyId)).to.deep.equal(["1"]);
  });

  it("says what to do when build outputs are missing", async function () {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-empty-"));
    fs.mkdirSync(path.join(empty, "circuits"));
    fs.copyFileSync(path.join(REPO_ROOT, "circuits", "registry.json"), path.join(empty, "circuits", "registry.json"));
    await expectRejection(
      deployAnchor(hre, { ...options(), root: empty, outFile: path.join(empty, "d.json") }),
      /policy verification key not found .*npx hardhat circuits:build --profile test/,
    );
    await expectRejection(deployAnchor(hre, { ...options(), threshold: -1n }), /threshold must satisfy/);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
