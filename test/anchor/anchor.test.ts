import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import {
  anchorDomain,
  decisionProof,
  decisionsRoot,
  genesisRoot,
  isApproved,
  nextStateRoot,
  plonkSelector,
  verifyDecisionProof,
  type BatchValues,
} from "../../src/anchor";
import {
  METHOD_ID,
  MODE,
  R,
  THRESHOLD,
  VKEY_HASH,
  anchorFixture,
  deployAnchor,
  deployMock,
  expectProofs,
  makeBatch,
  policyProofWords,
  snapshot,
  zkvmProofWords,
  type Fixture,
} from "./helpers";

const STATUS = { Unknown: 0, Scheduled: 1, Active: 2, Retired: 3 };

async function fixture(): Promise<Fixture> {
  return anchorFixture(4);
}

/** Attests `batch` at the anchor's current nonce with mocks expecting exactly the mirrored calldata. */
async function attestOk(f: Fixture, batch: BatchValues, seed: string) {
  const p = policyProofWords(seed);
  const z = zkvmProofWords(seed);
  await expectProofs(f, batch, p, z);
  return f.anchor.connect(f.submitter).attest(f.policyId, await f.anchor.nonce(), batch, p, z);
}

/** Asserts the call reverts with `error(args)` and that no anchor state changed. */
async function expectRevertUnchanged(
  f: Fixture,
  call: () => Promise<unknown>,
  error: string,
  args: unknown[] | null,
  contract: { interface: unknown } = f.anchor,
) {
  const before = await snapshot(f.anchor);
  const assertion = expect(call()).to.be.revertedWithCustomError(contract as never, error);
  if (args) await assertion.withArgs(...args);
  else await assertion;
  expect(await snapshot(f.anchor)).to.deep.equal(before);
}

describe("StateAnchor (mock verifiers)", function () {
  describe("deployment", function () {
    it("derives domain and genesis root exactly as the TypeScript mirror", async function () {
      const f = await loadFixture(fixture);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = anchorDomain(chainId, await f.anchor.getAddress());
      expect(await f.anchor.domain()).to.equal(domain);
      expect(domain).to.be.lessThan(R);
      expect(await f.anchor.stateRoot()).to.equal(genesisRoot(domain));
      expect(await f.anchor.nonce()).to.equal(0n);
      expect(await f.anchor.decisionCount()).to.equal(0n);
      expect(await f.anchor.zkvmVerifier()).to.equal(await f.zkvmVerifier.getAddress());
      expect(await f.anchor.defaultAdmin()).to.equal(f.admin.address);
    });

    it("rejects a zkVM verifier without code", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("StateAnchor");
      await expect(factory.deploy(admin.address, admin.address, 0, 0))
        .to.be.revertedWithCustomError(factory, "VerifierHasNoCode")
        .withArgs(admin.address);
    });

    it("gives two anchors on one chain different domains and genesis roots", async function () {
      const f = await loadFixture(fixture);
      const other = await deployAnchor(f.zkvmVerifier, f.admin.address);
      expect(await other.domain()).to.not.equal(await f.anchor.domain());
      expect(await other.stateRoot()).to.not.equal(await f.anchor.stateRoot());
    });
  });

  describe("attest", function () {
    it("accepts a batch whose verifiers get exactly the mirrored signals, and emits proven values", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("b0", 4, 3);
      const prevRoot = await f.anchor.stateRoot();
      const dRoot = decisionsRoot(f.policyId, 0n, batch.commitments, batch.decisionBits);
      const newRoot = nextStateRoot({
        prevRoot,
        nonce: 0n,
        policyId: f.policyId,
        methodId: METHOD_ID,
        decisionsRoot: dRoot,
        ...batch,
      });
      const tx = attestOk(f, batch, "b0");
      await expect(tx)
        .to.emit(f.anchor, "BatchAttested")
        .withArgs(
          0n,
          f.policyId,
          f.submitter.address,
          prevRoot,
          newRoot,
          METHOD_ID,
          batch.tapeDigest,
          batch.decisionBits,
          batch.activeCount,
          dRoot,
        );
      await expect(tx).to.emit(f.anchor, "DecisionsAttested").withArgs(0n, batch.decisionBits, batch.commitments);
      expect(await f.anchor.stateRoot()).to.equal(newRoot);
      expect(await f.anchor.nonce()).to.equal(1n);
      expect(await f.anchor.decisionCount()).to.equal(3n);
      expect(await f.anchor.decisionsRoot(0n)).to.equal(dRoot);
    });

    it("chains three batches in order; each root follows the mirror", async function () {
      const f = await loadFixture(fixture);
      let root = await f.anchor.stateRoot();
      let count = 0n;
      for (let i = 0; i < 3; i++) {
        const batch = makeBatch(`chain${i}`, 4, 4 - i);
        await attestOk(f, batch, `chain${i}`);
        const dRoot = decisionsRoot(f.policyId, BigInt(i), batch.commitments, batch.decisionBits);
        root = nextStateRoot({
          prevRoot: root,
          nonce: BigInt(i),
          policyId: f.policyId,
          methodId: METHOD_ID,
          decisionsRoot: dRoot,
          ...batch,
        });
        count += batch.activeCount;
        expect(await f.anchor.stateRoot()).to.equal(root);
        expect(root).to.be.lessThan(R);
      }
      expect(await f.anchor.nonce()).to.equal(3n);
      expect(await f.anchor.decisionCount()).to.equal(count);
    });

    it("rejects the same calldata sent again (replay) with NonceMismatch", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("replay", 4);
      const p = policyProofWords("replay");
      const z = zkvmProofWords("replay");
      await expectProofs(f, batch, p, z);
      await f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z);
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z),
        "NonceMismatch",
        [1n, 0n],
      );
      // Same proofs with the current nonce: the zkVM proof was bound to nonce 0 and the genesis root.
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 1n, batch, p, z),
        "ZkvmProofRejected",
        [METHOD_ID],
      );
    });

    it("rejects a nonce too high (batch 2 before batch 1)", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("high", 4);
      await expectProofs(f, batch, policyProofWords("h"), zkvmProofWords("h"), { nonce: 1n });
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 1n, batch, policyProofWords("h"), zkvmProofWords("h")),
        "NonceMismatch",
        [0n, 1n],
      );
    });

    it("rejects when paused and accepts again after unpause", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("pause", 4);
      await expect(f.anchor.pause()).to.emit(f.anchor, "Paused").withArgs(f.admin.address);
      const p = policyProofWords("pause");
      const z = zkvmProofWords("pause");
      await expectProofs(f, batch, p, z);
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z),
        "EnforcedPause",
        [],
      );
      await expect(f.anchor.unpause()).to.emit(f.anchor, "Unpaused").withArgs(f.admin.address);
      await expect(f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z)).to.emit(
        f.anchor,
        "BatchAttested",
      );
    });

    it("rejects a caller without SUBMITTER_ROLE", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("role", 4);
      await expectProofs(f, batch, policyProofWords("r"), zkvmProofWords("r"));
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.other).attest(f.policyId, 0n, batch, policyProofWords("r"), zkvmProofWords("r")),
        "AccessControlUnauthorizedAccount",
        [f.other.address, await f.anchor.SUBMITTER_ROLE()],
      );
    });

    it("rejects an unknown policy", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("unknown", 4);
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(7n, 0n, batch, policyProofWords("u"), zkvmProofWords("u")),
        "PolicyNotActive",
        [7n, STATUS.Unknown],
      );
    });

    it("rejects a batch whose commitment count differs from the batch size", async function () {
      const f = await loadFixture(fixture);
      for (const n of [3, 5]) {
        const batch = makeBatch(`size${n}`, n);
        await expectRevertUnchanged(
          f,
          () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("s"), zkvmProofWords("s")),
          "BatchSizeMismatch",
          [f.policyId, 4n, BigInt(n)],
        );
      }
    });

    it("rejects every public value >= r (r and r + x aliases), naming its signal index", async function () {
      const f = await loadFixture(fixture);
      const base = makeBatch("field", 4);
      const cases: [string, (b: BatchValues, v: bigint) => void, number][] = [
        ["tapeDigest", (b, v) => (b.tapeDigest = v), 0],
        ["decisionBits", (b, v) => (b.decisionBits = v), 1],
        ["activeCount", (b, v) => (b.activeCount = v), 2],
        ["commitments[0]", (b, v) => (b.commitments[0] = v), 3],
        ["commitments[3]", (b, v) => (b.commitments[3] = v), 6],
      ];
      for (const [, set, index] of cases) {
        // r + x is the alias of x: the verifiers would reduce it, the anchor must not accept it.
        for (const value of [R, R + base.tapeDigest, R + 1n, 2n ** 256n - 1n]) {
          const batch = { ...base, commitments: [...base.commitments] };
          set(batch, value);
          await expectRevertUnchanged(
            f,
            () =>
              f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("f"), zkvmProofWords("f")),
            "PublicInputNotInField",
            [BigInt(index), value],
          );
        }
      }
    });

    it("rejects activeCount above the batch size", async function () {
      const f = await loadFixture(fixture);
      const batch = { ...makeBatch("active", 4), activeCount: 5n };
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("a"), zkvmProofWords("a")),
        "ActiveCountExceedsBatchSize",
        [5n, 4n],
      );
    });

    for (const [name, mode] of Object.entries(MODE).filter(([n]) => n !== "Accept")) {
      it(`turns a policy verifier ${name} into PolicyProofRejected`, async function () {
        const f = await loadFixture(fixture);
        const batch = makeBatch(`pv${name}`, 4);
        await expectProofs(f, batch, policyProofWords("pv"), zkvmProofWords("pv"));
        await f.policyVerifier.setMode(mode);
        await expectRevertUnchanged(
          f,
          () =>
            f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("pv"), zkvmProofWords("pv")),
          "PolicyProofRejected",
          [f.policyId],
        );
      });

      it(`turns a zkVM verifier ${name} into ZkvmProofRejected`, async function () {
        const f = await loadFixture(fixture);
        const batch = makeBatch(`zv${name}`, 4);
        await expectProofs(f, batch, policyProofWords("zv"), zkvmProofWords("zv"));
        await f.zkvmVerifier.setMode(mode);
        await expectRevertUnchanged(
          f,
          () =>
            f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("zv"), zkvmProofWords("zv")),
          "ZkvmProofRejected",
          [METHOD_ID],
        );
      });
    }

    it("rejects a policy proof for other batch values (signals built by the anchor)", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("bind", 4);
      const p = policyProofWords("bind");
      const z = zkvmProofWords("bind");
      await expectProofs(f, batch, p, z);
      const flipped = { ...batch, decisionBits: batch.decisionBits ^ 1n };
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, flipped, p, z),
        "PolicyProofRejected",
        [f.policyId],
      );
      const otherProof = [...p];
      otherProof[23] += 1n;
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, otherProof, z),
        "PolicyProofRejected",
        [f.policyId],
      );
    });

    it("rejects a policy proof and a zkVM proof for different tapes", async function () {
      const f = await loadFixture(fixture);
      const batchA = makeBatch("tapeA", 4);
      const batchB = { ...batchA, tapeDigest: makeBatch("tapeB", 4).tapeDigest };
      const p = policyProofWords("t");
      const z = zkvmProofWords("t");
      await expectProofs(f, batchA, p, z); // both mocks accept tape A only
      const zkvmForB = await (async () => {
        const g = { ...f, policyVerifier: await deployMock() };
        await expectProofs(g, batchB, p, z);
        return g.zkvmVerifier.expectedInputHash();
      })();
      await f.zkvmVerifier.expectInput(zkvmForB); // the zkVM proof is for tape B, the policy proof for tape A
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batchA, p, z),
        "ZkvmProofRejected",
        [METHOD_ID],
      );
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batchB, p, z),
        "PolicyProofRejected",
        [f.policyId],
      );
    });

    it("rejects a zkVM proof of another guest program (different method ID)", async function () {
      const f = await loadFixture(fixture);
      const batch = makeBatch("guest", 4);
      await expectProofs(f, batch, policyProofWords("g"), zkvmProofWords("g"), { methodId: METHOD_ID + 1n });
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, policyProofWords("g"), zkvmProofWords("g")),
        "ZkvmProofRejected",
        [METHOD_ID],
      );
    });

    it("separates domains: a zkVM proof made for another anchor address fails here", async function () {
      const f = await loadFixture(fixture);
      const other = await deployAnchor(f.zkvmVerifier, f.admin.address);
      await other.grantRole(await other.SUBMITTER_ROLE(), f.submitter.address);
      await other.grantRole(await other.POLICY_ADMIN_ROLE(), f.admin.address);
      await other.schedulePolicy(await f.policyVerifier.getAddress(), VKEY_HASH, 4, METHOD_ID, THRESHOLD);
      const batch = makeBatch("domain", 4);
      const p = policyProofWords("d");
      const z = zkvmProofWords("d");
      // Proof bound to `other`'s domain and genesis root.
      await expectProofs(f, batch, p, z, { domain: await other.domain(), prevRoot: await other.stateRoot() });
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z),
        "ZkvmProofRejected",
        [METHOD_ID],
      );
      // Only the domain differs: with this anchor's root but the other domain it still fails.
      await expectProofs(f, batch, p, z, { domain: await other.domain() });
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 0n, batch, p, z),
        "ZkvmProofRejected",
        [METHOD_ID],
      );
      await expectProofs(f, batch, p, z, { domain: await other.domain(), prevRoot: await other.stateRoot() });
      await expect(other.connect(f.submitter).attest(1n, 0n, batch, p, z)).to.emit(other, "BatchAttested");
    });
  });

  describe("decision inclusion", function () {
    it("verifies a proof for each decision of each batch; any changed field fails", async function () {
      const f = await loadFixture(fixture);
      const batches = [makeBatch("inc0", 4, 4), makeBatch("inc1", 4, 2), makeBatch("inc2", 4, 3)];
      for (const [i, b] of batches.entries()) await attestOk(f, b, `inc${i}`);
      for (const [i, b] of batches.entries()) {
        const nonce = BigInt(i);
        const root = await f.anchor.decisionsRoot(nonce);
        for (let slot = 0; slot < 4; slot++) {
          const approved = isApproved(b.decisionBits, slot);
          const c = b.commitments[slot];
          const proof = decisionProof(f.policyId, nonce, b.commitments, b.decisionBits, slot);
          expect(proof).to.have.length(2);
          expect(await f.anchor.verifyDecision(f.policyId, nonce, slot, c, approved, proof)).to.equal(true);
          expect(
            verifyDecisionProof(root, { policyId: f.policyId, nonce, slot, commitment: c, approved }, proof),
          ).to.equal(true);
          const bad: [bigint, bigint, number, bigint, boolean, string[]][] = [
            [f.policyId, nonce, slot, c + 1n, approved, proof],
            [f.policyId, nonce, slot, c, !approved, proof],
            [f.policyId + 1n, nonce, slot, c, approved, proof],
            [f.policyId, (nonce + 1n) % 3n, slot, c, approved, proof],
            [f.policyId, nonce, slot ^ 1, c, approved, proof],
            [f.policyId, nonce, slot + 4, c, approved, proof],
            [f.policyId, nonce, slot, c, approved, [proof[1], proof[0]]],
            [f.policyId, nonce, slot, c, approved, [ethers.ZeroHash, proof[1]]],
            [f.policyId, nonce, slot, c, approved, proof.slice(0, 1)],
            [f.policyId, nonce, slot, c, approved, [...proof, ethers.ZeroHash]],
            [f.policyId, 3n, slot, c, approved, proof], // not attested yet
          ];
          for (const args of bad) {
            expect(
              await f.anchor.verifyDecision(...args),
              `changed ${JSON.stringify(args, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
            ).to.equal(false);
            const [policyId, n, s, commitment, ok, pr] = args;
            expect(verifyDecisionProof(root, { policyId, nonce: n, slot: s, commitment, approved: ok }, pr)).to.equal(
              false,
            );
          }
        }
      }
    });
  });

  describe("policy registry", function () {
    it("schedules a policy with its PLONK selector and emits PolicyScheduled", async function () {
      const f = await loadFixture(fixture);
      const verifier = await f.policyVerifier.getAddress();
      const tx = await f.anchor.schedulePolicy(verifier, VKEY_HASH, 16, METHOD_ID + 5n, 700n);
      const activeFrom = await time.latest(); // delay 0: active from the scheduling block
      await expect(tx)
        .to.emit(f.anchor, "PolicyScheduled")
        .withArgs(2n, verifier, VKEY_HASH, 16, METHOD_ID + 5n, 700n, activeFrom);
      const p = await f.anchor.policy(2n);
      expect(p.verifier).to.equal(verifier);
      expect(p.batchSize).to.equal(16n);
      expect(p.verifierSelector).to.equal(plonkSelector(20));
      expect(p.vkeyHash).to.equal(VKEY_HASH);
      expect(p.methodId).to.equal(METHOD_ID + 5n);
      expect(p.threshold).to.equal(700n);
      expect(p.retiredFrom).to.equal(0n);
      expect(await f.anchor.policyCount()).to.equal(2n);
      expect(await f.anchor.policyStatus(2n)).to.equal(STATUS.Active);
    });

    it("validates policy parameters", async function () {
      const f = await loadFixture(fixture);
      const v = await f.policyVerifier.getAddress();
      await expect(f.anchor.schedulePolicy(f.other.address, VKEY_HASH, 4, METHOD_ID, THRESHOLD))
        .to.be.revertedWithCustomError(f.anchor, "VerifierHasNoCode")
        .withArgs(f.other.address);
      for (const n of [0, 257]) {
        await expect(f.anchor.schedulePolicy(v, VKEY_HASH, n, METHOD_ID, THRESHOLD))
          .to.be.revertedWithCustomError(f.anchor, "InvalidBatchSize")
          .withArgs(n);
      }
      await expect(f.anchor.schedulePolicy(v, VKEY_HASH, 4, R, THRESHOLD))
        .to.be.revertedWithCustomError(f.anchor, "MethodIdNotInField")
        .withArgs(R);
      await expect(f.anchor.schedulePolicy(v, VKEY_HASH, 4, METHOD_ID, R + 3n))
        .to.be.revertedWithCustomError(f.anchor, "ThresholdNotInField")
        .withArgs(R + 3n);
      await expect(f.anchor.connect(f.other).schedulePolicy(v, VKEY_HASH, 4, METHOD_ID, THRESHOLD))
        .to.be.revertedWithCustomError(f.anchor, "AccessControlUnauthorizedAccount")
        .withArgs(f.other.address, await f.anchor.POLICY_ADMIN_ROLE());
      await expect(f.anchor.policy(9n)).to.be.revertedWithCustomError(f.anchor, "UnknownPolicy").withArgs(9n);
      expect(await f.anchor.policyStatus(9n)).to.equal(STATUS.Unknown);
      expect(await f.anchor.policyCount()).to.equal(1n);
    });

    it("activates a scheduled policy only after the delay, with no further transaction", async function () {
      const f = await loadFixture(fixture);
      await expect(f.anchor.setPolicyDelay(3600n)).to.emit(f.anchor, "PolicyDelayChanged").withArgs(0n, 3600n);
      expect(await f.anchor.policyDelay()).to.equal(3600n);
      await f.anchor.schedulePolicy(await f.policyVerifier.getAddress(), VKEY_HASH, 4, METHOD_ID, THRESHOLD);
      const p = await f.anchor.policy(2n);
      expect(p.activeFrom).to.equal(BigInt(await time.latest()) + 3600n);
      expect(await f.anchor.policyStatus(2n)).to.equal(STATUS.Scheduled);
      const batch = makeBatch("delay", 4);
      const pw = policyProofWords("delay");
      const zw = zkvmProofWords("delay");
      await expectProofs(f, batch, pw, zw);
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(2n, 0n, batch, pw, zw),
        "PolicyNotActive",
        [2n, STATUS.Scheduled],
      );
      await time.increaseTo(p.activeFrom - 1n);
      expect(await f.anchor.policyStatus(2n)).to.equal(STATUS.Scheduled);
      await time.increaseTo(p.activeFrom);
      expect(await f.anchor.policyStatus(2n)).to.equal(STATUS.Active);
      await expect(f.anchor.connect(f.submitter).attest(2n, 0n, batch, pw, zw))
        .to.emit(f.anchor, "BatchAttested")
        .withArgs(0n, 2n, f.submitter.address, anyValue, anyValue, anyValue, anyValue, anyValue, anyValue, anyValue);
    });

    it("retires a policy after the delay; attest then reverts", async function () {
      const f = await loadFixture(fixture);
      await f.anchor.setPolicyDelay(100n);
      const tx = await f.anchor.scheduleRetirement(f.policyId);
      await expect(tx)
        .to.emit(f.anchor, "PolicyRetirementScheduled")
        .withArgs(f.policyId, (await time.latest()) + 100);
      const retiredFrom = (await f.anchor.policy(f.policyId)).retiredFrom;
      await expect(f.anchor.scheduleRetirement(f.policyId))
        .to.be.revertedWithCustomError(f.anchor, "PolicyAlreadyRetiring")
        .withArgs(f.policyId, retiredFrom);
      await expect(f.anchor.scheduleRetirement(42n))
        .to.be.revertedWithCustomError(f.anchor, "UnknownPolicy")
        .withArgs(42n);
      await expect(f.anchor.connect(f.other).scheduleRetirement(f.policyId))
        .to.be.revertedWithCustomError(f.anchor, "AccessControlUnauthorizedAccount")
        .withArgs(f.other.address, await f.anchor.POLICY_ADMIN_ROLE());
      expect(await f.anchor.policyStatus(f.policyId)).to.equal(STATUS.Active);
      const batch = makeBatch("retire", 4);
      await attestOk(f, batch, "retire"); // still active before retiredFrom
      await time.increaseTo(retiredFrom);
      expect(await f.anchor.policyStatus(f.policyId)).to.equal(STATUS.Retired);
      const b2 = makeBatch("retire2", 4);
      await expectProofs(f, b2, policyProofWords("r2"), zkvmProofWords("r2"));
      await expectRevertUnchanged(
        f,
        () => f.anchor.connect(f.submitter).attest(f.policyId, 1n, b2, policyProofWords("r2"), zkvmProofWords("r2")),
        "PolicyNotActive",
        [f.policyId, STATUS.Retired],
      );
      // The record itself never changes in place.
      const p = await f.anchor.policy(f.policyId);
      expect(p.verifier).to.equal(await f.policyVerifier.getAddress());
      expect(p.methodId).to.equal(METHOD_ID);
    });
  });

  describe("administration", function () {
    it("restricts setPolicyDelay to the default admin", async function () {
      const f = await loadFixture(fixture);
      await expect(f.anchor.connect(f.other).setPolicyDelay(1n))
        .to.be.revertedWithCustomError(f.anchor, "AccessControlUnauthorizedAccount")
        .withArgs(f.other.address, ethers.ZeroHash);
    });

    it("refuses a policy delay that would wrap the 40-bit activation and retirement times", async function () {
      const f = await loadFixture(fixture);
      const max = await f.anchor.MAX_POLICY_DELAY();
      expect(max).to.equal(2n ** 32n - 1n);
      // Before the fix, type(uint64).max made the next policy active at once (activeFrom wrapped to now - 1).
      for (const delay of [max + 1n, 2n ** 64n - 1n]) {
        await expect(f.anchor.setPolicyDelay(delay))
          .to.be.revertedWithCustomError(f.anchor, "PolicyDelayTooLong")
          .withArgs(delay, max);
      }
      expect(await f.anchor.policyDelay()).to.equal(0n);
      await expect(f.anchor.setPolicyDelay(max)).to.emit(f.anchor, "PolicyDelayChanged").withArgs(0n, max);
      await f.anchor.grantRole(await f.anchor.POLICY_ADMIN_ROLE(), f.admin.address);
      await f.anchor.schedulePolicy(await f.policyVerifier.getAddress(), VKEY_HASH, 4, METHOD_ID, THRESHOLD);
      expect((await f.anchor.policy(2n)).activeFrom).to.equal(BigInt(await time.latest()) + max);
      expect(await f.anchor.policyStatus(2n)).to.equal(STATUS.Scheduled);
      const factory = await ethers.getContractFactory("StateAnchor");
      await expect(factory.deploy(await f.zkvmVerifier.getAddress(), f.admin.address, 0, max + 1n))
        .to.be.revertedWithCustomError(f.anchor, "PolicyDelayTooLong")
        .withArgs(max + 1n, max);
    });

    it("restricts pause and unpause to PAUSER_ROLE", async function () {
      const f = await loadFixture(fixture);
      const role = await f.anchor.PAUSER_ROLE();
      await expect(f.anchor.connect(f.other).pause())
        .to.be.revertedWithCustomError(f.anchor, "AccessControlUnauthorizedAccount")
        .withArgs(f.other.address, role);
      await f.anchor.pause();
      await expect(f.anchor.connect(f.other).unpause())
        .to.be.revertedWithCustomError(f.anchor, "AccessControlUnauthorizedAccount")
        .withArgs(f.other.address, role);
      await expect(f.anchor.pause()).to.be.revertedWithCustomError(f.anchor, "EnforcedPause");
    });

    it("changes the default admin in two steps only", async function () {
      const f = await loadFixture(fixture);
      await expect(f.anchor.grantRole(ethers.ZeroHash, f.other.address)).to.be.revertedWithCustomError(
        f.anchor,
        "AccessControlEnforcedDefaultAdminRules",
      );
      await f.anchor.beginDefaultAdminTransfer(f.other.address);
      expect(await f.anchor.defaultAdmin()).to.equal(f.admin.address);
      await expect(f.anchor.connect(f.submitter).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.anchor, "AccessControlInvalidDefaultAdmin")
        .withArgs(f.submitter.address);
      await time.increase(1);
      await f.anchor.connect(f.other).acceptDefaultAdminTransfer();
      expect(await f.anchor.defaultAdmin()).to.equal(f.other.address);
      expect(await f.anchor.hasRole(ethers.ZeroHash, f.admin.address)).to.equal(false);
    });
  });
});
