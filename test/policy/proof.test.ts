import { expect } from "chai";
import { ethers } from "hardhat";
import fs from "node:fs";
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import { circuitPaths } from "../../src/paths";
import {
  encodePolicyProof,
  evaluatePolicy,
  policyParams,
  policyPublicSignals,
  provePolicy,
  verifyPolicy,
  withSalts,
  type PolicyProof,
} from "../../src/policy";
import { terminateCurves } from "../../src/snark";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs") as {
  plonk: {
    verify(vk: unknown, signals: string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, signals: string[]): Promise<string>;
  };
};

const params = policyParams("test");
const paths = circuitPaths("policy", "test");

interface PolicyVerifier {
  verifyProof(proof: bigint[], publicSignals: bigint[]): Promise<boolean>;
}

describe("policy PLONK proof (test profile): JS and generated Solidity verifier", function () {
  const threshold = 650n;
  const batch = withSalts([
    { applicantId: 101n, score: 650n },
    { applicantId: 102n, score: 651n },
  ]);
  let proved: PolicyProof;
  let words: bigint[];
  let verifier: PolicyVerifier;
  let vkey: unknown;

  before(async function () {
    if (!fs.existsSync(paths.zkey))
      throw new Error(`${paths.zkey} is missing: run npx hardhat circuits:build --profile test`);
    proved = await provePolicy(batch, threshold, { profile: "test" });
    words = encodePolicyProof(proved.proof);
    const factory = await ethers.getContractFactory("PolicyVerifierTest");
    verifier = (await factory.deploy()) as unknown as PolicyVerifier;
    vkey = JSON.parse(fs.readFileSync(paths.vkey, "utf8"));
  });

  after(terminateCurves);

  it("proves the reference outputs in the documented public-signal order", () => {
    const expected = policyPublicSignals(evaluatePolicy(batch, threshold, params), threshold);
    expect(proved.publicSignals).to.deep.equal(expected);
    expect(proved.publicSignals).to.have.length(4 + params.batchSize);
    expect(proved.publicSignals[1]).to.equal(0b01n); // slot 0 (== threshold) approved, slot 1 denied
    expect(proved.publicSignals[2]).to.equal(2n);
  });

  it("verifies in JS and through PolicyVerifierTest", async () => {
    expect(await verifyPolicy(proved.proof, proved.publicSignals, { profile: "test" })).to.equal(true);
    expect(await verifier.verifyProof(words, proved.publicSignals)).to.equal(true);
  });

  it("encodePolicyProof matches snarkjs's exportSolidityCallData word for word", async () => {
    const calldata = await snarkjs.plonk.exportSolidityCallData(proved.proof, proved.publicSignals.map(String));
    const [proofWords, signalWords] = JSON.parse(`[${calldata.replace("][", "],[")}]`) as [string[], string[]];
    expect(words).to.have.length(24);
    expect(words).to.deep.equal(proofWords.map((x) => BigInt(x)));
    expect(signalWords.map((x) => BigInt(x))).to.deep.equal(proved.publicSignals);
  });

  it("changing any single public signal makes both verifiers reject", async () => {
    for (let i = 0; i < proved.publicSignals.length; i++) {
      const tampered = [...proved.publicSignals];
      tampered[i] = (tampered[i] + 1n) % P;
      expect(await verifyPolicy(proved.proof, tampered, { profile: "test" }), `JS, signal ${i}`).to.equal(false);
      expect(await verifier.verifyProof(words, tampered), `Solidity, signal ${i}`).to.equal(false);
    }
  });

  it("a tampered proof word is rejected on chain", async () => {
    for (const i of [0, 17, 18, 23]) {
      const bad = [...words];
      bad[i] = (bad[i] + 1n) % P;
      expect(await verifier.verifyProof(bad, proved.publicSignals), `word ${i}`).to.equal(false);
    }
  });

  it("records what happens to a public signal >= r (signal + r): rejected here, so the anchor must check < r itself", async () => {
    for (let i = 0; i < proved.publicSignals.length; i++) {
      const aliased = [...proved.publicSignals];
      aliased[i] += P; // same field element, non-canonical encoding (< 2^256)
      // The generated verifier does NOT range-check public signals; it hashes the raw 256-bit words into
      // the Fiat-Shamir transcript, so the challenges change and the pairing check fails: it returns false
      // (no revert). Rejection is a side effect of the transcript, not a check: the anchor rejects >= r itself.
      expect(await verifier.verifyProof(words, aliased), `Solidity, signal ${i} + r`).to.equal(false);
      // snarkjs's JS verifier range-checks public inputs (publicInputsAreValid) and rejects; so does verifyPolicy.
      expect(
        await snarkjs.plonk.verify(vkey, aliased.map(String), proved.proof),
        `snarkjs JS, signal ${i} + r`,
      ).to.equal(false);
      expect(await verifyPolicy(proved.proof, aliased, { profile: "test" }), `verifyPolicy, signal ${i} + r`).to.equal(
        false,
      );
    }
  });

  it("verifyPolicy returns false for a wrong number of public signals", async () => {
    expect(await verifyPolicy(proved.proof, proved.publicSignals.slice(1), { profile: "test" })).to.equal(false);
  });
});
