import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fs from "node:fs";
import { Interface } from "ethers";
import { GENERATED_ABI_FILE, generatedAbiSource } from "../../src/anchor/generated-abi";
import {
  STATE_ANCHOR_ABI,
  buildAttestArgs,
  decisionProof,
  decisionsRoot,
  decodeAnchorError,
  isApproved,
  nextStateRoot,
} from "../../src/anchor";
import { METHOD_ID, R, VKEY_HASH, anchorFixture, makeBatch, policyProofWords, zkvmProofWords } from "./helpers";

async function anchor4() {
  return anchorFixture(4);
}

describe("anchor TypeScript mirror", function () {
  it("uses the ABI generated from the compiled artifact (the committed file is not stale)", async function () {
    const artifact = await artifacts.readArtifact("StateAnchor");
    // The compile hook (tasks/abi.ts) writes exactly this; a stale committed file fails here.
    expect(fs.readFileSync(GENERATED_ABI_FILE, "utf8")).to.equal(generatedAbiSource(artifact.abi));
    expect(STATE_ANCHOR_ABI).to.deep.equal(artifact.abi);
    // Every function, event and error of the documented interface is in it.
    const mine = new Interface(STATE_ANCHOR_ABI);
    const iface = new Interface((await artifacts.readArtifact("IStateAnchor")).abi);
    iface.forEachFunction((f) => expect(mine.getFunction(f.selector)?.format("full")).to.equal(f.format("full")));
    iface.forEachEvent((e) => expect(mine.getEvent(e.topicHash)?.format("full")).to.equal(e.format("full")));
    iface.forEachError((e) => expect(mine.getError(e.selector)?.format("full")).to.equal(e.format("full")));
  });

  it("matches the contract's decisions root and inclusion proofs for batch sizes 1..17 (padding)", async function () {
    const f = await loadFixture(anchor4);
    const v = await f.policyVerifier.getAddress();
    let nonce = 0n;
    let root = await f.anchor.stateRoot();
    for (const n of [1, 2, 3, 5, 7, 8, 16, 17]) {
      await f.anchor.schedulePolicy(v, VKEY_HASH, n, METHOD_ID, 9n);
      const policyId = await f.anchor.policyCount();
      const batch = makeBatch(`pad${n}`, n, Math.max(1, n - 1));
      await f.anchor.connect(f.submitter).attest(policyId, nonce, batch, policyProofWords("x"), zkvmProofWords("x"));
      const dRoot = decisionsRoot(policyId, nonce, batch.commitments, batch.decisionBits);
      expect(await f.anchor.decisionsRoot(nonce)).to.equal(dRoot);
      root = nextStateRoot({ prevRoot: root, nonce, policyId, methodId: METHOD_ID, decisionsRoot: dRoot, ...batch });
      expect(await f.anchor.stateRoot()).to.equal(root);
      for (const slot of [0, n - 1]) {
        const proof = decisionProof(policyId, nonce, batch.commitments, batch.decisionBits, slot);
        expect(proof.length).to.equal(Math.ceil(Math.log2(n)));
        expect(
          await f.anchor.verifyDecision(
            policyId,
            nonce,
            slot,
            batch.commitments[slot],
            isApproved(batch.decisionBits, slot),
            proof,
          ),
        ).to.equal(true);
      }
      nonce += 1n;
    }
  });

  it("decodes the anchor's custom errors with a message saying what to do", async function () {
    const f = await loadFixture(anchor4);
    const batch = makeBatch("dec", 4);
    const err = await f.anchor
      .connect(f.submitter)
      .attest.staticCall(f.policyId, 3n, batch, policyProofWords("d"), zkvmProofWords("d"))
      .then(
        () => null,
        (e: unknown) => e,
      );
    const decoded = decodeAnchorError(err);
    expect(decoded?.name).to.equal("NonceMismatch");
    expect(decoded?.args).to.deep.equal({ anchorNonce: 0n, submittedNonce: 3n });
    expect(decoded?.message).to.match(/expects nonce 0 .* nonce 3: earlier batches are missing/);
    const role = await f.anchor
      .connect(f.other)
      .attest.staticCall(f.policyId, 0n, batch, policyProofWords("d"), zkvmProofWords("d"))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(decodeAnchorError(role)?.name).to.equal("AccessControlUnauthorizedAccount");
    const iface = new Interface(STATE_ANCHOR_ABI as unknown as string[]);
    const data = iface.encodeErrorResult("PublicInputNotInField", [4n, R]);
    expect(decodeAnchorError(data)).to.deep.include({ name: "PublicInputNotInField", args: { index: 4n, value: R } });
    expect(decodeAnchorError("0x12345678")).to.equal(undefined);
    expect(decodeAnchorError(new Error("no data"))).to.equal(undefined);
  });

  it("builds attest arguments and rejects malformed prover outputs before sending", async function () {
    const batch = makeBatch("args", 4);
    const input = {
      policyId: 1n,
      nonce: 2n,
      policyOutputs: batch,
      policyProofWords: policyProofWords("a"),
      zkvmProofWords: zkvmProofWords("a"),
    };
    const args = buildAttestArgs(input);
    expect(args[0]).to.equal(1n);
    expect(args[1]).to.equal(2n);
    expect(args[2]).to.deep.equal(batch);
    expect(args[3]).to.have.length(24);
    expect(args[4]).to.have.length(8);
    expect(() => buildAttestArgs({ ...input, policyProofWords: policyProofWords("a").slice(1) })).to.throw(
      /policy proof must have 24 words/,
    );
    expect(() => buildAttestArgs({ ...input, zkvmProofWords: [] })).to.throw(/zkVM proof must have 8 words/);
    expect(() => buildAttestArgs({ ...input, nonce: -1n })).to.throw(/nonce must be a uint64/);
    expect(() => buildAttestArgs({ ...input, policyId: 0n })).to.throw(/policyId must be >= 1/);
    expect(() => buildAttestArgs({ ...input, policyOutputs: { ...batch, tapeDigest: R } })).to.throw(
      /tapeDigest must satisfy/,
    );
    expect(() =>
      buildAttestArgs({ ...input, policyOutputs: { ...batch, commitments: [0n, R + 1n, 0n, 0n] } }),
    ).to.throw(/commitments\[1\] must satisfy/);
    // The arguments are accepted by the contract ABI as they are.
    const f = await loadFixture(anchor4);
    expect(() => f.anchor.interface.encodeFunctionData("attest", args)).to.not.throw();
    void ethers;
  });
});
