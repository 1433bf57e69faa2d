/**
 * The chain-of-trust audit on the in-process network with REAL proofs (test profile) and the real deploy
 * code. One honest batch, then the tampering the issue describes, each failing by its named check:
 *   - policy 2: a verifier that returns true for everything, a guest that approves everything, and a
 *     batch attested under it with scores above the threshold recorded as approved;
 *   - policy 3: the real verifier but a method ID no guest of this repository produces;
 *   - a second anchor whose zkVM verifier is a genuine snarkjs verifier for another key (second setup);
 *   - deployments files: another anchor's, an edited one, none at all;
 *   - a zero policy delay is a warning under a 1-day minimum.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import {
  buildAttestArgs,
  decisionsRoot,
  deployAnchor,
  genesisRoot,
  nextStateRoot,
  type AttestArgs,
  type DeploymentManifest,
} from "../../src/anchor";
import { auditAnchor, auditToJson, renderAuditMarkdown, renderAuditText, type AuditReport } from "../../src/audit";
import { circuitPaths } from "../../src/paths";
import {
  decodePolicyPublicSignals,
  encodePolicyProof,
  policyParams,
  provePolicy,
  type Application,
} from "../../src/policy";
import { terminateCurves } from "../../src/snark";
import { batchSalt, batchTape } from "../../src/tape";
import {
  assemble,
  encodeZkvmProof,
  loanGuest,
  methodId as methodIdOf,
  proveLoanGuest,
  proveZkvm,
  LOAN_GUEST_FILE,
} from "../../src/zkvm";
import { compileVerifier, renderVerifierSource } from "../../src/audit/verifier-code";

const PROFILE = "test" as const;
const THRESHOLD = 600n;
const apps = (seed: number, scores: number[]): Application[] =>
  scores.map((score, i) => ({
    applicantId: BigInt(100 * seed + i + 1),
    score: BigInt(score),
    salt: BigInt(seed * 7919 + i * 104729 + 3),
  }));

/** The loan guest with its comparison replaced by "approve": same steps and journal, another method ID. */
const APPROVE_ALL = fs.readFileSync(LOAN_GUEST_FILE, "utf8").replace(/^(\s*)LE\s+r6, r6, r5.*$/m, "$1LI    r6, 1");

const by = (r: AuditReport, check: string, subject: string) => {
  const found = r.checks.filter((c) => c.check === check && c.subject.startsWith(subject));
  expect(
    found,
    `${check} ${subject} in ${JSON.stringify(r.checks.map((c) => `${c.check} ${c.subject}`))}`,
  ).to.have.length(1);
  return found[0];
};

describe("audit of the chain of trust (real proofs, test profile)", function () {
  this.timeout(600_000);
  let tmp: string;
  let manifest: DeploymentManifest;
  let anchorAddress: string;
  let deployBlock: number;
  let report: AuditReport;

  before(async function () {
    for (const c of ["policy", "zkvm"]) {
      if (!fs.existsSync(circuitPaths(c, PROFILE).zkey))
        throw new Error(`build the ${c} circuit first (npm test does)`);
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-audit-"));
    manifest = await deployAnchor(hre, {
      profile: PROFILE,
      threshold: THRESHOLD,
      outFile: path.join(tmp, "deployment.json"),
    });
    anchorAddress = manifest.contracts.stateAnchor.address;
    deployBlock = manifest.contracts.stateAnchor.blockNumber;
    const anchor = await ethers.getContractAt("StateAnchor", anchorAddress);
    const domain = await anchor.domain();
    const { batchSize } = policyParams(PROFILE);

    // Batch 0: honest, policy 1.
    const honest = apps(1, [550, 700]);
    const policyProof = await provePolicy(honest, THRESHOLD, { profile: PROFILE });
    const { outputs } = decodePolicyPublicSignals(policyProof.publicSignals, policyParams(PROFILE));
    const prevRoot = genesisRoot(domain);
    const zk = await proveLoanGuest({
      domain,
      prevRoot,
      nonce: 0n,
      threshold: THRESHOLD,
      batch: honest,
      batchSize,
      profile: PROFILE,
    });
    await (
      await anchor.attest(
        ...buildAttestArgs({
          policyId: 1n,
          nonce: 0n,
          policyOutputs: outputs,
          policyProofWords: encodePolicyProof(policyProof.proof),
          zkvmProofWords: encodeZkvmProof(zk.proof),
        }),
      )
    ).wait();

    // Policy 2: a verifier that accepts anything and the approve-all guest; the registered vkeyHash lies.
    const mock = await (await ethers.getContractFactory("MockVerifier")).deploy();
    const approveAll = assemble(APPROVE_ALL).words;
    const approveAllId = methodIdOf(approveAll);
    expect(approveAllId).to.not.equal(loanGuest().methodId);
    await (
      await anchor.schedulePolicy(
        await mock.getAddress(),
        manifest.policies[0].vkeyHash,
        batchSize,
        approveAllId,
        THRESHOLD,
      )
    ).wait();
    // Batch 1 under policy 2: both scores above the threshold, both recorded as approved.
    const rich = apps(2, [900, 950]);
    const forged = await provePolicy(rich, THRESHOLD, { profile: PROFILE }); // honest outputs: both denied
    const forgedOutputs = decodePolicyPublicSignals(forged.publicSignals, policyParams(PROFILE)).outputs;
    expect(forgedOutputs.decisionBits).to.equal(0n);
    const approvedOutputs = { ...forgedOutputs, decisionBits: 3n };
    const root1 = nextStateRoot({
      prevRoot,
      nonce: 0n,
      policyId: 1n,
      methodId: loanGuest().methodId,
      decisionsRoot: decisionsRoot(1n, 0n, outputs.commitments, outputs.decisionBits),
      ...outputs,
    });
    expect(await anchor.stateRoot()).to.equal(root1);
    const approveAllProof = await proveZkvm(
      {
        program: approveAll,
        tape: batchTape(rich, batchSize),
        params: [domain, root1, 1n, THRESHOLD],
        tapeBlinding: batchSalt(rich),
      },
      { profile: PROFILE },
    );
    const args: AttestArgs = buildAttestArgs({
      policyId: 2n,
      nonce: 1n,
      policyOutputs: approvedOutputs,
      policyProofWords: encodePolicyProof(forged.proof),
      zkvmProofWords: encodeZkvmProof(approveAllProof.proof),
    });
    await (await anchor.attest(...args)).wait();
    expect(await anchor.nonce()).to.equal(2n);

    // Policy 3: the real verifier and key, a method ID no guest of this repository produces.
    await (
      await anchor.schedulePolicy(
        manifest.contracts.policyVerifier.address,
        manifest.policies[0].vkeyHash,
        batchSize,
        12345n,
        THRESHOLD,
      )
    ).wait();

    report = await auditAnchor(anchorAddress, ethers.provider);
  });

  after(async function () {
    await terminateCurves();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("finds the deployment block itself and reads the whole history", function () {
    expect(report.fromBlock).to.equal(deployBlock);
    expect(report.deploymentBlockFound).to.equal(true);
    expect(report.totals).to.deep.equal({ batches: 2, decisions: 4, approved: 3, denied: 1 });
    expect(report.policies.map((p) => [p.policyId, p.guest, p.key !== null])).to.deep.equal([
      [1n, "loan-attest", true],
      [2n, null, false],
      [3n, null, true],
    ]);
  });

  it("--to-block: reads history up to that block and compares the counters there", async function () {
    const first = report.batches[0].blockNumber;
    const upTo = await auditAnchor(anchorAddress, ethers.provider, {
      fromBlock: deployBlock,
      toBlock: first,
      chunk: 2,
    });
    expect(upTo.toBlock).to.equal(first);
    expect(upTo.totals).to.deep.equal({ batches: 1, decisions: 2, approved: 1, denied: 1 });
    expect(upTo.state.nonce).to.equal(1n);
    expect(by(upTo, "root-chain", "state roots").status).to.equal("pass");
    expect(upTo.policies.map((p) => p.policyId)).to.deep.equal([1n]);
  });

  it("passes the honest parts: generated verifiers, the loan guest, batch 0 re-verified, the root chain", function () {
    expect(by(report, "verifier-key", "zkVM verifier").status).to.equal("pass");
    expect(by(report, "verifier-key", "policy 1 verifier").status).to.equal("pass");
    expect(by(report, "method-guest", "policy 1").reason).to.match(/guest loan-attest \(guests\/loan-attest\.asm\)/);
    expect(by(report, "policy-parameters", "policy 1").status).to.equal("pass");
    expect(by(report, "root-chain", "state roots").status).to.equal("pass");
    expect(report.batches.map((b) => b.reverified)).to.deep.equal(["pass", "fail"]);
    expect(by(report, "key-circuit", "key set test").status).to.equal("pass");
  });

  it("fails a policy whose verifier returns true for everything, by name", function () {
    const c = by(report, "verifier-key", "policy 2 verifier");
    expect(c.status).to.equal("fail");
    expect(c.reason).to.match(
      /^not a generated verifier: its runtime code \(metadata trailer excluded\) equals no verifier regenerated from the policy key of/,
    );
    expect(by(report, "policy-parameters", "policy 2").status).to.equal("fail");
  });

  it("fails a method ID that no guest of this repository produces: unknown program", function () {
    for (const id of ["policy 2", "policy 3"]) {
      const c = by(report, "method-guest", id);
      expect(c.status).to.equal("fail");
      expect(c.reason).to.match(/^unknown program: method ID \d+ is that of no guest in this repository/);
    }
    expect(by(report, "verifier-key", "policy 3 verifier").status).to.equal("pass");
  });

  it("fails the batch whose calldata policy proof does not verify against the key set", function () {
    const c = by(report, "proofs-reverified", "batch nonce 1");
    expect(c.status).to.equal("fail");
    expect(c.reason).to.equal(
      "the policy proof does not verify with the policy key its policy registered (vkeyHash) of key set test (development keys, build/test/keyset)",
    );
    expect(c.evidence.calldataFrom).to.equal("transaction");
    expect(report.verdict).to.equal("fail");
  });

  it("warns about a policy that took effect with less than the minimum delay", async function () {
    const strict = await auditAnchor(anchorAddress, ethers.provider, {
      fromBlock: deployBlock,
      minPolicyDelay: 86_400,
    });
    const c = by(strict, "policy-parameters", "policy 1");
    expect(c.status).to.equal("warn");
    expect(c.reason).to.match(/^took effect 0 s after it was scheduled, less than the minimum policy delay of 86400 s/);
  });

  it("checks a deployments file against the chain: the right one passes, another anchor's or an edited one fails", async function () {
    const file = path.join(tmp, "deployment.json");
    const right = await auditAnchor(anchorAddress, ethers.provider, {
      fromBlock: deployBlock,
      deployment: { file, manifest },
    });
    expect(by(right, "deployment-file", file).status).to.equal("pass");
    const edited = structuredClone(manifest);
    edited.contracts.zkvmVerifier.address = manifest.contracts.policyVerifier.address;
    edited.policies[0].threshold = "700";
    const e = by(
      await auditAnchor(anchorAddress, ethers.provider, {
        fromBlock: deployBlock,
        deployment: { file, manifest: edited },
      }),
      "deployment-file",
      file,
    );
    expect(e.status).to.equal("fail");
    expect(e.reason).to.match(/zkvmVerifier 0x[0-9a-fA-F]{40} is not the anchor's zkvmVerifier\(\)/);
    expect(e.reason).to.match(/policy 1 differs from the chain: threshold 700 vs 600/);

    const other = await deployAnchor(hre, {
      profile: PROFILE,
      threshold: THRESHOLD,
      outFile: path.join(tmp, "other.json"),
    });
    const otherAddress = other.contracts.stateAnchor.address;
    expect(otherAddress).to.not.equal(anchorAddress);
    const mismatch = await auditAnchor(otherAddress, ethers.provider, { deployment: { file, manifest } });
    const m = by(mismatch, "deployment-file", file);
    expect(m.status).to.equal("fail");
    expect(m.reason).to.equal(`it names anchor ${anchorAddress}, the audited anchor is ${otherAddress}`);
    // Without any deployments file the other anchor audits clean (fresh, honest, nothing attested).
    const alone = await auditAnchor(otherAddress, ethers.provider);
    expect(alone.checks.filter((c) => c.check === "deployment-file")).to.deep.equal([]);
    expect(alone.checks.filter((c) => c.status !== "pass")).to.deep.equal([]);
    expect(alone.verdict).to.equal("pass");
  });

  it("fails a genuine snarkjs verifier for another key of the same circuit (another phase-2 contribution)", async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const snarkjs = require("snarkjs");
    // One more phase-2 contribution on top of the build's zkey: a valid key of the same circuit, new delta.
    const z1 = path.join(tmp, "z1.zkey");
    await snarkjs.zKey.contribute(
      circuitPaths("zkvm", PROFILE).zkey,
      z1,
      "second setup",
      "other entropy " + Date.now(),
    );
    const vkey = await snarkjs.zKey.exportVerificationKey(z1);
    const compiled = await compileVerifier(
      renderVerifierSource(vkey, "groth16", "OtherZkvmVerifier"),
      "OtherZkvmVerifier",
    );
    const [signer] = await ethers.getSigners();
    const other = await new ethers.ContractFactory(compiled.abi as never, compiled.bytecode, signer).deploy();
    const anchor = await (
      await ethers.getContractFactory("StateAnchor")
    ).deploy(await other.getAddress(), signer.address, 0, 0);
    const r = await auditAnchor(await anchor.getAddress(), ethers.provider);
    const c = by(r, "verifier-key", "zkVM verifier");
    expect(c.status).to.equal("fail");
    expect(c.reason).to.match(/^not a generated verifier/);
    expect(r.verdict).to.equal("fail");
  });

  it("renders the report: JSON with decimal strings, text and Markdown with the verdict first", function () {
    const json = auditToJson(report) as Record<string, unknown> & { state: { stateRoot: string }; counts: unknown };
    expect(JSON.parse(JSON.stringify(json)).state.stateRoot).to.match(/^\d+$/);
    expect(json.verdict).to.equal("fail");
    expect(renderAuditText(report)).to.match(/FAIL: at least one check failed \(\d+ pass, \d+ warn, \d+ fail\)/);
    const md = renderAuditMarkdown(report);
    expect(md.split("\n")[2]).to.match(/^\*\*Verdict: FAIL/);
    expect(md).to.include("## Governance timeline");
    expect(md).to.match(/policy 2 scheduled: verifier 0x[0-9a-fA-F]{40}/);
  });
});
