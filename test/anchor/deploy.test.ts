import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers, network } from "hardhat";
import { keccak256 } from "ethers";
import { anchorDomain, deployAnchor, genesisRoot, DEPLOYMENT_FORMAT, type DeploymentManifest } from "../../src/anchor";
import {
  deployAnchorRun,
  deploymentNetworkMismatch,
  loanGuestMethodId,
  type DeployOptions,
} from "../../src/anchor/deploy";
import { policyDelayFor } from "../../src/anchor/deploy/checks";
import { readJournal } from "../../src/anchor/deploy/journal";
import { UsageError } from "../../src/errors";
import { circuitPaths, REPO_ROOT } from "../../src/paths";

/** A repository root with the registry and stand-in build outputs (vkeys, build manifest). */
function fakeRoot(manifest: object = { schema: 1, profile: "test", circuits: {} }): string {
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
  fs.writeFileSync(path.join(root, "build", "test", "manifest.json"), JSON.stringify(manifest));
  return root;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  return error!;
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  expect((await rejection(promise)).message).to.match(message);
}

/** A refusal before anything is sent: a UsageError (the CLI exits 2) with exactly this message and hint. */
async function expectRefusal(promise: Promise<unknown>, message: string, hint?: string): Promise<void> {
  const block = await ethers.provider.getBlockNumber();
  const e = await rejection(promise);
  expect(e).to.be.instanceOf(UsageError);
  expect(e.message).to.equal(message);
  if (hint !== undefined) expect((e as UsageError).hint).to.equal(hint);
  expect(await ethers.provider.getBlockNumber(), "no transaction sent").to.equal(block);
}

const MOCKS = { policy: "MockVerifier", zkvm: "MockVerifier" };
const REBUILD = "rebuild the circuits (npx hardhat circuits:build --profile test), then npx hardhat compile";

describe("anchor deployment (deployAnchor through Hardhat Ignition)", function () {
  let root: string;
  let outFile: string;
  let journalDir: string;
  before(function () {
    root = fakeRoot();
    outFile = path.join(root, "deployments", `${network.name}.json`);
    journalDir = path.join(root, "ignition", "deployments", "unit");
  });
  after(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  // Mock verifiers and stand-in keys: the verifier check is skipped, the method ID is no guest's.
  const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
    profile: "test",
    threshold: 650n,
    methodId: 77n,
    allowUnknownGuest: true,
    root,
    outFile,
    journalDir,
    verifierContracts: MOCKS,
    skipVerifierCheck: true,
    ...extra,
  });

  it("deploys verifiers and anchor, grants roles, registers the policy and writes the manifest and the journal", async function () {
    const [deployer, submitter] = await ethers.getSigners();
    const logs: string[] = [];
    const m = await deployAnchor(hre, options({ submitters: [submitter.address] }), (l) => logs.push(l));
    expect(JSON.parse(fs.readFileSync(outFile, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(m)));
    expect(m.format).to.equal(DEPLOYMENT_FORMAT);
    expect(m.network).to.equal("hardhat");
    expect(m.chainId).to.equal((await ethers.provider.getNetwork()).chainId.toString());
    expect(m.profile).to.equal("test");
    expect(m.deployer).to.equal(deployer.address);
    expect(m.compiler.solc).to.equal("0.8.28");
    expect(m.build.manifestHash).to.equal(
      keccak256(fs.readFileSync(path.join(root, "build", "test", "manifest.json"))),
    );
    const vkeyHash = keccak256(fs.readFileSync(path.join(root, "build", "test", "policy", "policy.vkey.json")));
    expect(m.build.circuits.policy.vkeyHash).to.equal(vkeyHash);
    expect(m.keySet).to.equal(null); // stand-in keys: no key set
    for (const c of Object.values(m.contracts)) {
      const code = await ethers.provider.getCode(c.address);
      expect(keccak256(code)).to.equal(c.codeHash);
      const receipt = await ethers.provider.getTransactionReceipt(c.txHash);
      expect(receipt?.contractAddress).to.equal(c.address);
      expect(receipt?.blockNumber).to.equal(c.blockNumber);
    }
    const anchor = await ethers.getContractAt("StateAnchor", m.contracts.stateAnchor.address);
    expect(await anchor.zkvmVerifier()).to.equal(m.contracts.zkvmVerifier.address);
    expect(m.contracts.stateAnchor.constructorArgs).to.deep.equal([
      m.contracts.zkvmVerifier.address,
      deployer.address,
      "0",
      "0",
    ]);
    const domain = anchorDomain(BigInt(m.chainId), m.contracts.stateAnchor.address);
    expect(m.anchor.domain).to.equal(domain.toString());
    expect(m.anchor.genesisRoot).to.equal(genesisRoot(domain).toString());
    expect(m.anchor).to.include({ policyDelay: "0", adminDelay: "0", admin: deployer.address }); // dev chain defaults
    expect(await anchor.stateRoot()).to.equal(genesisRoot(domain));
    const p = await anchor.policy(1n);
    expect(p.verifier).to.equal(m.contracts.policyVerifier.address);
    expect(p.batchSize).to.equal(2n); // registry: test profile N
    expect(p.methodId).to.equal(77n);
    expect(p.threshold).to.equal(650n);
    expect(p.vkeyHash).to.equal(vkeyHash);
    expect(m.policies).to.have.length(1);
    expect(m.policies[0]).to.include({ policyId: "1", methodId: "77", threshold: "650", batchSize: 2, vkeyHash });
    expect(m.policies[0].activeFrom).to.equal(Number(p.activeFrom));
    expect(await anchor.hasRole(await anchor.SUBMITTER_ROLE(), submitter.address)).to.equal(true);
    expect(await anchor.hasRole(await anchor.SUBMITTER_ROLE(), deployer.address)).to.equal(false);
    expect(m.roles.map((r) => r.role)).to.deep.equal(["POLICY_ADMIN_ROLE", "PAUSER_ROLE", "SUBMITTER_ROLE"]);
    for (const r of m.roles) expect((await ethers.provider.getTransactionReceipt(r.txHash!))?.status).to.equal(1);
    expect(m.methodIds.loan).to.equal("77");
    expect(logs.some((l) => l.startsWith("StateAnchor: deployed at"))).to.equal(true);

    // The Ignition journal: three modules whose ids carry what makes their futures immutable.
    expect(m.ignition?.journal).to.equal(path.join("ignition", "deployments", "unit"));
    const futures = m.ignition!.futures;
    expect(futures.policyVerifier).to.match(/^ZklaVerifiers#PolicyVerifier_[0-9a-f]{10}$/);
    expect(futures.zkvmVerifier).to.match(/^ZklaVerifiers#ZkvmVerifier_[0-9a-f]{10}$/);
    expect(futures.stateAnchor).to.equal(`ZklaAnchor_${futures.zkvmVerifier.split("#")[1]}#StateAnchor`);
    expect(futures.policy).to.match(/^ZklaPolicy_[0-9a-f]{10}#schedulePolicy$/);
    const journal = readJournal(journalDir);
    expect(journal.get(futures.stateAnchor)?.address).to.equal(m.contracts.stateAnchor.address);
    expect(journal.get(futures.policy.replace("schedulePolicy", "policyId"))?.result).to.equal(1n);
  });

  it("re-running sends nothing: Ignition's journal has every future", async function () {
    const before = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    const block = await ethers.provider.getBlockNumber();
    const [, submitter] = await ethers.getSigners();
    const logs: string[] = [];
    const run = await deployAnchorRun(hre, options({ submitters: [submitter.address] }), (l) => logs.push(l));
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(run.sent).to.deep.equal([]);
    expect(run.manifest.contracts).to.deep.equal(before.contracts);
    expect(run.manifest.policies).to.deep.equal(before.policies);
    expect(run.manifest.roles).to.deep.equal(before.roles);
    expect(logs.filter((l) => l.includes("reusing"))).to.have.length(4);
  });

  it("a changed threshold or method ID schedules a new policy (never edits one); the old parameters reuse theirs", async function () {
    const m = await deployAnchor(hre, options({ threshold: 700n }));
    const before = m.contracts;
    expect(m.policies.map((p) => p.policyId)).to.deep.equal(["1", "2"]);
    const anchor = await ethers.getContractAt("StateAnchor", before.stateAnchor.address);
    expect((await anchor.policy(1n)).threshold).to.equal(650n);
    expect((await anchor.policy(2n)).threshold).to.equal(700n);

    const m3 = await deployAnchor(hre, options({ threshold: 700n, methodId: 78n }));
    expect(m3.contracts).to.deep.equal(before);
    expect(m3.policies.map((p) => p.policyId)).to.deep.equal(["1", "2", "3"]);
    expect((await anchor.policy(3n)).methodId).to.equal(78n);
    expect(m3.ignition!.futures.policy).to.not.equal(m.ignition!.futures.policy);

    // Back to the first parameters: policy 1 again, nothing sent; the deployment's policy is listed last.
    const block = await ethers.provider.getBlockNumber();
    const back = await deployAnchorRun(hre, options());
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(back.manifest.policies.map((p) => p.policyId)).to.deep.equal(["2", "3", "1"]);
  });

  it("a retired policy is not reused: the same parameters schedule a new one", async function () {
    this.timeout(60_000); // --confirmations 5 on an automining node must not wait for blocks that never come
    const m = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    const anchor = await ethers.getContractAt("StateAnchor", m.contracts.stateAnchor.address);
    await (await anchor.scheduleRetirement(1n)).wait();
    const again = await deployAnchor(hre, options({ confirmations: 5 }));
    expect(again.policies.at(-1)).to.include({ policyId: "4", threshold: "650", methodId: "77" });
    expect(again.ignition!.futures.policy).to.equal(m.ignition!.futures.policy.replace("#", "_2#"));
  });

  it("redeploys what is no longer at its recorded address (a new anchor gets a new policy)", async function () {
    const before = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    await network.provider.send("hardhat_setCode", [before.contracts.stateAnchor.address, "0x"]);
    const logs: string[] = [];
    const m = await deployAnchor(hre, options(), (l) => logs.push(l));
    expect(m.contracts.policyVerifier).to.deep.equal(before.contracts.policyVerifier);
    expect(m.contracts.zkvmVerifier).to.deep.equal(before.contracts.zkvmVerifier);
    expect(m.contracts.stateAnchor.address).to.not.equal(before.contracts.stateAnchor.address);
    expect(m.ignition!.futures.stateAnchor).to.equal(before.ignition!.futures.stateAnchor.replace("#", "_2#"));
    expect(m.policies.map((p) => p.policyId)).to.deep.equal(["1"]);
    expect(logs).to.include(
      `StateAnchor: no longer at ${before.contracts.stateAnchor.address} (${before.ignition!.futures.stateAnchor.split("#")[0]}): deploying a new one`,
    );
  });

  it("a rebuilt verifier (other compiled code) is a new future: new verifiers and, for the zkVM's, a new anchor", async function () {
    const before = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
    const m = await deployAnchor(
      hre,
      options({ verifierContracts: { policy: "MockVerifier", zkvm: "AttestForwarder" } }),
    );
    expect(m.contracts.policyVerifier).to.deep.equal(before.contracts.policyVerifier);
    expect(m.contracts.zkvmVerifier.address).to.not.equal(before.contracts.zkvmVerifier.address);
    expect(m.contracts.stateAnchor.address).to.not.equal(before.contracts.stateAnchor.address);
    expect(m.policies.map((p) => p.policyId)).to.deep.equal(["1"]);
  });

  it("roles already held are not granted again; a deployer that is no longer the admin is refused", async function () {
    const [deployer, , , held, admin, newcomer] = await ethers.getSigners();
    const own = {
      journalDir: path.join(root, "ignition", "deployments", "roles"),
      outFile: path.join(root, "roles.json"),
    };
    const m = await deployAnchor(hre, options(own));
    const anchor = await ethers.getContractAt("StateAnchor", m.contracts.stateAnchor.address);
    await (await anchor.grantRole(await anchor.SUBMITTER_ROLE(), held.address)).wait();
    const run = await deployAnchorRun(hre, options({ ...own, submitters: [held.address] }));
    expect(run.sent).to.deep.equal([]);
    expect(run.manifest.roles.at(-1)).to.deep.equal({
      role: "SUBMITTER_ROLE",
      account: held.address,
      txHash: null,
      blockNumber: null,
    });
    await (await anchor.beginDefaultAdminTransfer(admin.address)).wait();
    await (await anchor.connect(admin).acceptDefaultAdminTransfer()).wait();
    await expectRefusal(
      deployAnchor(hre, options({ ...own, submitters: [newcomer.address] })),
      `the deployer ${deployer.address} is not the default admin of the anchor at ${m.contracts.stateAnchor.address} (${admin.address} is), so it cannot grant SUBMITTER_ROLE`,
      "grant the roles from the admin account, or deploy with the admin's key",
    );
  });

  it("on the in-process network the journal lives with the process: one per deployments file", async function () {
    const a = await deployAnchor(hre, { ...options(), journalDir: undefined, outFile: path.join(root, "a.json") });
    expect(a.ignition).to.include({ deploymentId: "hardhat-31337", journal: null });
    const block = await ethers.provider.getBlockNumber();
    const again = await deployAnchorRun(hre, {
      ...options(),
      journalDir: undefined,
      outFile: path.join(root, "a.json"),
    });
    expect(again.sent).to.deep.equal([]);
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(again.manifest.contracts).to.deep.equal(a.contracts);
    const b = await deployAnchor(hre, { ...options(), journalDir: undefined, outFile: path.join(root, "b.json") });
    expect(b.contracts.stateAnchor.address).to.not.equal(a.contracts.stateAnchor.address);
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

  describe("refusals before anything is sent", function () {
    it("a threshold of 2^SCORE_BITS or more (no proof could satisfy the policy)", async function () {
      await expectRefusal(
        deployAnchor(hre, options({ threshold: 4294967296n })),
        "threshold 4294967296 is not below 2^32: the test policy circuit takes 32-bit scores and thresholds (SCORE_BITS), so no proof could satisfy this policy",
        "pass a --threshold from 0 to 4294967295",
      );
      // 2^32 - 1 is the largest threshold the circuit takes.
      const m = await deployAnchor(hre, options({ threshold: 4294967295n }));
      expect(m.policies.at(-1)!.threshold).to.equal("4294967295");
    });

    it("a batch size other than the built policy circuit's N, or a registry changed since the build", async function () {
      await expectRefusal(
        deployAnchor(hre, options({ batchSize: 16 })),
        "batch size 16 is not the N = 2 of the built test policy circuit: its proofs cover exactly 2 applications",
        "omit --batch-size (it defaults to 2), or build a profile whose policy circuit has N = 16",
      );
      const stale = fakeRoot({ circuits: { policy: { params: { N: 4, SCORE_BITS: 32 } } } });
      try {
        await expectRefusal(
          deployAnchor(hre, options({ root: stale, outFile: path.join(stale, "d.json") })),
          "the test policy circuit was built with N = 4, SCORE_BITS = 32 but circuits/registry.json now says N = 2, SCORE_BITS = 32",
          "rebuild it (npx hardhat circuits:build --profile test), then npx hardhat compile",
        );
      } finally {
        fs.rmSync(stale, { recursive: true, force: true });
      }
    });

    it("a method ID of no guest in this repository, unless --allow-unknown-guest", async function () {
      await expectRefusal(
        deployAnchor(hre, options({ allowUnknownGuest: false })),
        "method ID 77 is that of no guest in this repository (guests/*.asm): auditors could not tell which program the policy runs",
        "omit --method-id to register the loan guest, or add --allow-unknown-guest to register it anyway (anchor:status --strict and anchor:audit fail on it)",
      );
      await expectRefusal(
        deployAnchor(hre, options({ methodId: undefined, allowUnknownGuest: true })),
        "--allow-unknown-guest applies only to an explicit --method-id",
        "pass --method-id <id>",
      );
      // The loan guest's method ID, given explicitly, is a guest's of this repository.
      const logs: string[] = [];
      await deployAnchor(
        hre,
        options({
          methodId: loanGuestMethodId(),
          allowUnknownGuest: false,
          root: REPO_ROOT,
          outFile: path.join(root, "guest.json"),
        }),
        (l) => logs.push(l),
      );
      expect(logs.filter((l) => l.startsWith("warning:"))).to.deep.equal([]);
    });

    it("a verifier that is not the one generated from the build's key (a mock, or a stale compile)", async function () {
      if (!fs.existsSync(circuitPaths("policy", "test").vkey)) this.skip(); // needs the test build
      await expectRefusal(
        deployAnchor(
          hre,
          options({ root: REPO_ROOT, outFile: path.join(root, "mock.json"), skipVerifierCheck: false }),
        ),
        "MockVerifier as compiled from contracts/test/MockVerifier.sol is not the verifier generated from build/test/policy/policy.vkey.json: the anchor would check proofs against another key than the provers'",
        REBUILD,
      );
      // The generated verifier, but another key (as after a rebuild that was not compiled and regenerated).
      const other = fakeRoot();
      try {
        for (const c of ["policy", "zkvm"])
          fs.copyFileSync(circuitPaths(c, "test").vkey, circuitPaths(c, "test", other).vkey);
        const vkey = JSON.parse(fs.readFileSync(circuitPaths("policy", "test", other).vkey, "utf8"));
        vkey.k1 = "5";
        fs.writeFileSync(circuitPaths("policy", "test", other).vkey, JSON.stringify(vkey, null, 1));
        await expectRefusal(
          deployAnchor(hre, {
            profile: "test",
            threshold: 650n,
            root: other,
            outFile: path.join(other, "d.json"),
          }),
          "PolicyVerifierTest as compiled from contracts/verifiers/generated/PolicyVerifierTest.sol is not the verifier generated from build/test/policy/policy.vkey.json: the anchor would check proofs against another key than the provers'",
          REBUILD,
        );
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
      // The build's own verifiers pass.
      const real = await deployAnchor(hre, { profile: "test", threshold: 650n, outFile: path.join(root, "real.json") });
      expect(real.contracts.policyVerifier.contract).to.equal("PolicyVerifierTest");
      expect(real.keySet).to.not.equal(null);
    });

    it("a deployments file of another network: says so and names --network", async function () {
      const file = path.join(root, "sepolia.json");
      const made = JSON.parse(fs.readFileSync(outFile, "utf8")) as DeploymentManifest;
      fs.writeFileSync(file, JSON.stringify({ ...made, network: "sepolia", chainId: "11155111" }));
      await expectRefusal(
        deployAnchor(hre, options({ outFile: file })),
        'sepolia.json was made on network "sepolia" (chain 11155111), but this task ran on the in-process network "hardhat" (chain 31337), which has none of its contracts',
        "pass --network sepolia (it needs its RPC URL: see docs/deployment.md), or --out <another file> to deploy here",
      );
      const local = { network: "localhost", chainId: "31337" };
      expect(
        deploymentNetworkMismatch(local, "deployments/localhost.json", { network: "hardhat", chainId: 31337n })
          ?.message,
      ).to.equal(
        'deployments/localhost.json was made on network "localhost" (chain 31337), but this task ran on the in-process network "hardhat" (chain 31337), which has none of its contracts',
      );
      const onOther = deploymentNetworkMismatch({ network: "sepolia", chainId: "11155111" }, "s.json", {
        network: "custom",
        chainId: 10n,
      });
      expect([onOther?.message, onOther?.hint]).to.deep.equal([
        's.json was made on network "sepolia" (chain 11155111), but the network "custom" is chain 10',
        "pass --network sepolia (it needs its RPC URL: see docs/deployment.md)",
      ]);
      expect(deploymentNetworkMismatch(local, "l.json", { network: "localhost", chainId: 31337n })).to.equal(null);
      expect(deploymentNetworkMismatch(local, "l.json", { network: "e2e", chainId: 31337n })).to.equal(null);
    });
  });

  describe("policy delay", function () {
    it("defaults to 0 on development chains and 1 day elsewhere, with a warning below 1 hour there", function () {
      expect(policyDelayFor(undefined, "hardhat", 31337n)).to.deep.equal({ delay: 0n, warning: null });
      expect(policyDelayFor(undefined, "localhost", 31337n)).to.deep.equal({ delay: 0n, warning: null });
      expect(policyDelayFor(undefined, "e2e", 31337n)).to.deep.equal({ delay: 0n, warning: null }); // an anvil node
      expect(policyDelayFor(undefined, "sepolia", 11155111n)).to.deep.equal({ delay: 86400n, warning: null });
      expect(policyDelayFor(undefined, "custom", 1n)).to.deep.equal({ delay: 86400n, warning: null });
      expect(policyDelayFor(3600n, "sepolia", 11155111n)).to.deep.equal({ delay: 3600n, warning: null });
      expect(policyDelayFor(0n, "hardhat", 31337n).warning).to.equal(null);
      expect(policyDelayFor(3599n, "sepolia", 11155111n).warning).to.equal(
        "warning: policy delay 3599 s on sepolia (chain 11155111) is below 1 hour: a new policy takes effect before borrowers and auditors can react, and anchor:audit warns about it (default 86400 s)",
      );
      expect(policyDelayFor(0n, "custom", 1n).warning).to.match(
        /^warning: policy delay 0 s on custom \(chain 1\) is below 1 hour/,
      );
    });

    it("an explicit --policy-delay is the new anchor's; a deployed anchor keeps its own and says so", async function () {
      const dir = path.join(root, "ignition", "deployments", "delay");
      const file = path.join(root, "delay.json");
      const m = await deployAnchor(
        hre,
        options({ policyDelay: 600n, adminDelay: 7200n, journalDir: dir, outFile: file }),
      );
      expect(m.anchor).to.include({ policyDelay: "600", adminDelay: "7200" });
      expect(m.policies[0].activeFrom).to.equal(
        (await ethers.provider.getBlock(m.policies[0].blockNumber))!.timestamp + 600,
      );
      const run = await deployAnchorRun(hre, options({ policyDelay: 0n, journalDir: dir, outFile: file }));
      expect(run.sent).to.deep.equal([]);
      expect(run.warnings.filter((w) => !w.includes("--allow-unknown-guest"))).to.deep.equal([
        `warning: --policy-delay 0 is not applied: the anchor at ${m.contracts.stateAnchor.address} keeps its policy delay 600 s (its default admin changes it with setPolicyDelay)`,
      ]);
    });
  });
});
