/**
 * StateAnchor with REAL proofs (test profile): the generated PLONK and Groth16 verifiers, the policy
 * prover (src/policy) and the loan guest prover (src/zkvm), deployed through deployAnchor. Needs the
 * test-profile build (npm test runs `circuits:build --profile test` first).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers, network } from "hardhat";
import { concat, toBeHex } from "ethers";
import {
  anchorZkvmSignals,
  buildAttestArgs,
  decisionProof,
  decisionsRoot,
  deployAnchor,
  genesisRoot,
  isApproved,
  nextStateRoot,
  type AttestArgs,
  type DeploymentManifest,
} from "../../src/anchor";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import { REPO_ROOT, circuitPaths } from "../../src/paths";
import {
  decodePolicyPublicSignals,
  encodePolicyProof,
  policyParams,
  provePolicy,
  type Application,
} from "../../src/policy";
import {
  assemble,
  encodeZkvmProof,
  loanGuest,
  proveLoanGuest,
  proveZkvm,
  verifyZkvm,
  LOAN_GUEST_FILE,
} from "../../src/zkvm";
import { batchSalt, batchTape } from "../../src/tape";
import { terminateCurves } from "../../src/snark";
import type { StateAnchor } from "../../typechain-types";

const PROFILE = "test" as const;
const THRESHOLD = 650n;
/** BN254 base field order q (proof coordinates live in F_q). */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const apps = (seed: number, scores: number[]): Application[] =>
  scores.map((score, i) => ({
    applicantId: BigInt(1000 * seed + i + 1),
    score: BigInt(score),
    salt: BigInt(seed * 7919 + i * 104729 + 1),
  }));

// Sized for the test profile (N = 2): a full batch, a partial one and one with the boundary score.
const BATCHES = [apps(1, [650, 651]), apps(2, [10]), apps(3, [900, 649])];

interface Proven {
  args: AttestArgs;
  zkvmSignals: bigint[];
}

/** Groth16 proofs are malleable: (-A, -B, C) verifies for the same signals. */
function negateGroth16(words: bigint[]): bigint[] {
  const neg = (y: bigint) => (y === 0n ? 0n : Q - y);
  const [ax, ay, bx1, bx0, by1, by0, cx, cy] = words;
  return [ax, neg(ay), bx1, bx0, neg(by1), neg(by0), cx, cy];
}

describe("StateAnchor with real proofs (test profile)", function () {
  let anchor: StateAnchor;
  let manifest: DeploymentManifest;
  let submitter: Awaited<ReturnType<typeof ethers.getSigners>>[number];
  let policyId: bigint;
  let domain: bigint;
  const proven: Proven[] = [];
  const roots: bigint[] = [];
  let otherGuest: AttestArgs;
  let tmp: string;
  const gas: Record<string, number> = {};

  before(async function () {
    for (const c of ["policy", "zkvm"]) {
      const p = circuitPaths(c, PROFILE);
      for (const f of [p.zkey, p.wasm, p.vkey]) {
        if (!fs.existsSync(f))
          throw new Error(`${f} is missing: run npx hardhat circuits:build --profile ${PROFILE} before this test`);
      }
    }
    [, submitter] = await ethers.getSigners();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-integration-"));
    manifest = await deployAnchor(hre, {
      profile: PROFILE,
      threshold: THRESHOLD,
      submitters: [submitter.address],
      outFile: path.join(tmp, "deployment.json"),
    });
    anchor = (await ethers.getContractAt(
      "StateAnchor",
      manifest.contracts.stateAnchor.address,
    )) as unknown as StateAnchor;
    policyId = BigInt(manifest.policies[0].policyId);
    domain = await anchor.domain();
    const { batchSize } = policyParams(PROFILE);
    const methodId = loanGuest().methodId;
    expect(BigInt(manifest.methodIds.loan)).to.equal(methodId);

    // Plan all three batches ahead (as the pipeline does): each zkVM proof binds the mirrored previous root.
    let prevRoot = genesisRoot(domain);
    expect(await anchor.stateRoot()).to.equal(prevRoot);
    for (const [k, batch] of BATCHES.entries()) {
      const nonce = BigInt(k);
      const policy = await provePolicy(batch, THRESHOLD, { profile: PROFILE });
      const { outputs } = decodePolicyPublicSignals(policy.publicSignals, policyParams(PROFILE));
      const zk = await proveLoanGuest({
        domain,
        prevRoot,
        nonce,
        threshold: THRESHOLD,
        batch,
        batchSize,
        profile: PROFILE,
      });
      expect(zk.publicSignals).to.deep.equal(
        anchorZkvmSignals(outputs, { methodId, domain, prevRoot, nonce, threshold: THRESHOLD }),
      );
      const args = buildAttestArgs({
        policyId,
        nonce,
        policyOutputs: outputs,
        policyProofWords: encodePolicyProof(policy.proof),
        zkvmProofWords: encodeZkvmProof(zk.proof),
      });
      proven.push({ args, zkvmSignals: zk.publicSignals });
      roots.push(prevRoot);
      const dRoot = decisionsRoot(policyId, nonce, outputs.commitments, outputs.decisionBits);
      prevRoot = nextStateRoot({ prevRoot, nonce, policyId, methodId, decisionsRoot: dRoot, ...outputs });
    }
    roots.push(prevRoot);

    // Another guest program: the loan guest with one extra instruction (same journal, other method ID),
    // run on batch 1's tape (1 application: one step more still fits T) and bound to nonce 0 / genesis.
    const source = fs.readFileSync(LOAN_GUEST_FILE, "utf8").replace(/^(\s+PUB\s+r5, 3.*)$/m, "        LI    r7, 7\n$1");
    const program = assemble(source).words;
    const other = await proveZkvm(
      {
        program,
        tape: batchTape(BATCHES[1], batchSize),
        params: [domain, roots[0], 0n, THRESHOLD],
        tapeBlinding: batchSalt(BATCHES[1]),
      },
      { profile: PROFILE },
    );
    expect(other.publicSignals[0]).to.not.equal(methodId);
    const outputs1 = proven[1].args[2];
    expect(other.publicSignals.slice(1)).to.deep.equal(
      anchorZkvmSignals(outputs1, { methodId, domain, prevRoot: roots[0], nonce: 0n, threshold: THRESHOLD }).slice(1),
    );
    expect(await verifyZkvm(other.proof, other.publicSignals, { profile: PROFILE })).to.equal(true);
    otherGuest = [policyId, 0n, outputs1, proven[1].args[3], encodeZkvmProof(other.proof)];
  });

  after(async function () {
    await terminateCurves();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (Object.keys(gas).length) console.log(`      real-proof gas: ${JSON.stringify(gas)}`);
  });

  const send = (args: AttestArgs) => anchor.connect(submitter).attest(...args);

  async function expectRejected(args: AttestArgs, error: string, errArgs: unknown[]) {
    const before = [await anchor.stateRoot(), await anchor.nonce(), await anchor.decisionCount()];
    await expect(send(args))
      .to.be.revertedWithCustomError(anchor, error)
      .withArgs(...errArgs);
    expect([await anchor.stateRoot(), await anchor.nonce(), await anchor.decisionCount()]).to.deep.equal(before);
  }

  it("rejects a zkVM proof of another guest program (different method ID)", async function () {
    await expectRejected(otherGuest, "ZkvmProofRejected", [BigInt(manifest.methodIds.loan)]);
  });

  it("rejects a policy proof and a zkVM proof for different tapes", async function () {
    // Policy proofs do not depend on the nonce: batch 1's policy proof (tape B) with batch 0's zkVM proof (tape A).
    const [, , batchA, , zkvmA] = proven[0].args;
    const [, , batchB, policyB] = proven[1].args;
    expect(batchA.tapeDigest).to.not.equal(batchB.tapeDigest);
    // Batch values of tape B: the policy proof verifies, the zkVM proof (tape A) does not.
    await expectRejected([policyId, 0n, batchB, policyB, zkvmA], "ZkvmProofRejected", [
      BigInt(manifest.methodIds.loan),
    ]);
    // Batch values of tape A: the policy proof (tape B) fails first.
    await expectRejected([policyId, 0n, batchA, policyB, zkvmA], "PolicyProofRejected", [policyId]);
  });

  it("rejects batch 2 before batch 1", async function () {
    await expectRejected(proven[1].args, "NonceMismatch", [0n, 1n]);
  });

  it("rejects an aliased public value (tapeDigest + r) of a valid proof", async function () {
    const args = [...proven[0].args] as AttestArgs;
    args[2] = { ...args[2], tapeDigest: args[2].tapeDigest + SNARK_SCALAR_FIELD };
    await expectRejected(args, "PublicInputNotInField", [0n, args[2].tapeDigest]);
  });

  it("attests three batches in order; roots, counts and every decision's inclusion proof check out", async function () {
    for (const [k, p] of proven.entries()) {
      const tx = await send(p.args);
      const receipt = await tx.wait();
      gas[`attest${k}`] = Number(receipt!.gasUsed);
      await expect(tx).to.emit(anchor, "BatchAttested");
      expect(await anchor.stateRoot()).to.equal(roots[k + 1]);
      expect(await anchor.nonce()).to.equal(BigInt(k + 1));
      if (k === 0) {
        // The same calldata again is a replay.
        await expectRejected(p.args, "NonceMismatch", [1n, 0n]);
      }
    }
    expect(await anchor.decisionCount()).to.equal(BigInt(BATCHES.reduce((s, b) => s + b.length, 0)));
    for (const [k, p] of proven.entries()) {
      const b = p.args[2];
      for (let slot = 0; slot < b.commitments.length; slot++) {
        const proof = decisionProof(policyId, BigInt(k), b.commitments, b.decisionBits, slot);
        const approved = isApproved(b.decisionBits, slot);
        expect(await anchor.verifyDecision(policyId, BigInt(k), slot, b.commitments[slot], approved, proof)).to.equal(
          true,
        );
        expect(await anchor.verifyDecision(policyId, BigInt(k), slot, b.commitments[slot], !approved, proof)).to.equal(
          false,
        );
      }
    }
    // Policy outcomes under 650: batch 0 [650, 651] -> slot 0 approved (score <= threshold), slot 1 denied;
    // batch 2 [900, 649] -> slot 1 approved.
    expect(proven[0].args[2].decisionBits).to.equal(0b01n);
    expect(proven[2].args[2].decisionBits).to.equal(0b10n);
  });

  it("still rejects a re-randomized Groth16 proof of an attested batch (replay keyed on nonce and root)", async function () {
    const original = proven[0].args[4];
    const mauled = negateGroth16(original);
    expect(mauled).to.not.deep.equal(original);
    // It is a valid proof for the same signals at the verifier itself...
    const verifier = new ethers.Contract(
      manifest.contracts.zkvmVerifier.address,
      ["function verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[9]) view returns (bool)"],
      ethers.provider,
    );
    const split = (w: bigint[]) =>
      [
        [w[0], w[1]],
        [
          [w[2], w[3]],
          [w[4], w[5]],
        ],
        [w[6], w[7]],
      ] as const;
    expect(await verifier.verifyProof(...split(mauled), proven[0].zkvmSignals)).to.equal(true);
    expect(await verifier.verifyProof(...split(original), proven[0].zkvmSignals)).to.equal(true);
    // ...but the anchor has moved on: the old nonce is refused, and at the current nonce the signals differ.
    const args = [...proven[0].args] as AttestArgs;
    args[4] = mauled;
    await expectRejected(args, "NonceMismatch", [3n, 0n]);
    args[1] = 3n;
    await expectRejected(args, "ZkvmProofRejected", [BigInt(manifest.methodIds.loan)]);
  });

  it("deploys through the anchor:deploy task; a second run reuses everything", async function () {
    const file = path.join(REPO_ROOT, "deployments", `${network.name}.json`);
    await hre.run("anchor:deploy", { threshold: THRESHOLD.toString(), submitter: submitter.address });
    const first = JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentManifest;
    expect(first.methodIds.loan).to.equal(manifest.methodIds.loan);
    expect(first.build.manifestHash).to.match(/^0x[0-9a-f]{64}$/);
    const block = await ethers.provider.getBlockNumber();
    await hre.run("anchor:deploy", { threshold: THRESHOLD.toString(), submitter: submitter.address });
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect((JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentManifest).contracts).to.deep.equal(first.contracts);
  });

  it("measures verifier gas (direct calls) next to the attest totals", async function () {
    const [signer] = await ethers.getSigners();
    const calldataGas = (data: string) =>
      [...Buffer.from(data.slice(2), "hex")].reduce((s, b) => s + (b === 0 ? 4 : 16), 0);
    const p = proven[2].args;
    const plonkData = concat([
      ethers.id(`verifyProof(uint256[24],uint256[${p[2].commitments.length + 4}])`).slice(0, 10),
      ...[...p[3], p[2].tapeDigest, p[2].decisionBits, p[2].activeCount, ...p[2].commitments, THRESHOLD].map((w) =>
        toBeHex(w, 32),
      ),
    ]);
    const groth16Data = concat([
      ethers.id("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[9])").slice(0, 10),
      ...[...p[4], ...proven[2].zkvmSignals].map((w) => toBeHex(w, 32)),
    ]);
    const policyTx = await signer.estimateGas({ to: manifest.contracts.policyVerifier.address, data: plonkData });
    const zkvmTx = await signer.estimateGas({ to: manifest.contracts.zkvmVerifier.address, data: groth16Data });
    gas.policyVerifierExecution = Number(policyTx) - 21000 - calldataGas(plonkData);
    gas.zkvmVerifierExecution = Number(zkvmTx) - 21000 - calldataGas(groth16Data);
    expect(gas.policyVerifierExecution).to.be.greaterThan(100_000);
    expect(gas.zkvmVerifierExecution).to.be.greaterThan(100_000);
    expect(gas.attest2).to.be.greaterThan(gas.policyVerifierExecution + gas.zkvmVerifierExecution);
  });
});
