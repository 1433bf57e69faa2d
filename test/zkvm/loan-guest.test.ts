/**
 * The loan-attestation guest: its journal equals the policy reference on random batches (emulator
 * and circuit), and a real Groth16 proof verifies in JS and through the generated Solidity verifier,
 * while any changed public signal is rejected by both.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fs from "node:fs";
import { DEV_PTAU_POWER } from "../../src/build/ptau";
import { SNARK_SCALAR_FIELD as R } from "../../src/field";
import { evaluatePolicy, policyParams } from "../../src/policy";
import { terminateCurves } from "../../src/snark";
import { batchSalt, batchTape, tapeDigest, tapeLength, type Application } from "../../src/tape";
import {
  emulate,
  encodeZkvmProof,
  loanGuest,
  loanGuestParams,
  loanGuestSteps,
  methodId,
  proveLoanGuest,
  proveZkvm,
  verifyZkvm,
  zkvmInput,
  zkvmManifestExtras,
  zkvmParams,
  ZkvmRunError,
  type ZkvmProof,
} from "../../src/zkvm";
import { randomField, rng, testBuildPaths, testHarness } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs") as {
  groth16: {
    verify(vk: unknown, signals: string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, signals: string[]): Promise<string>;
  };
};

const limits = zkvmParams("test");
const policy = policyParams("test");
const N = policy.batchSize;
const binding = { domain: 0xd0a1n, prevRoot: 0x5eedn, nonce: 7n };

function randomBatch(rand: () => number, n: number): Application[] {
  return Array.from({ length: n }, (_, i) => ({
    applicantId: BigInt(1000 + i),
    score: rand() < 0.1 ? 2n ** 32n - 1n : BigInt(Math.floor(rand() * 1000)),
    salt: randomField(rand),
  }));
}

interface ZkvmVerifier {
  verifyProof(pA: bigint[], pB: bigint[][], pC: bigint[], pubSignals: bigint[]): Promise<boolean>;
}

function solidityArgs(words: bigint[]): [bigint[], bigint[][], bigint[]] {
  return [words.slice(0, 2), [words.slice(2, 4), words.slice(4, 6)], words.slice(6, 8)];
}

describe("zkvm: the loan-attestation guest", function () {
  this.timeout(600_000);
  const guest = loanGuest();

  after(terminateCurves);

  it(`the test-size circuit fits the 2^${DEV_PTAU_POWER} dev ptau (constraints + public inputs < 2^${DEV_PTAU_POWER})`, async () => {
    const h = await testHarness();
    expect(h.nConstraints + 4 + limits.K + limits.J + 1).to.be.lessThan(2 ** DEV_PTAU_POWER);
  });

  it("the zkVM tape is the policy's batch tape (L = N + 1) and T fits a full batch", () => {
    expect(limits.L).to.equal(tapeLength(N));
    expect(limits.L).to.equal(N + 1);
    expect(loanGuestSteps(N)).to.be.at.most(limits.T);
    const production = zkvmParams("production");
    expect(production.L).to.equal(policyParams("production").batchSize + 1);
    expect(loanGuestSteps(policyParams("production").batchSize)).to.be.at.most(production.T);
  });

  it("journal == (decisionBits, activeCount) of the policy reference on random batches, in the emulator and the circuit", async () => {
    const h = await testHarness();
    const rand = rng(4242);
    for (let k = 0; k < 24; k++) {
      const batch = randomBatch(rand, k % (N + 1));
      const threshold = k % 6 === 0 ? 0n : k % 6 === 1 ? 2n ** 32n - 1n : BigInt(Math.floor(rand() * 1000));
      const params = loanGuestParams({ ...binding, threshold });
      const tape = batchTape(batch, N);
      const run = emulate(guest.words, tape, params, limits);
      const reference = evaluatePolicy(batch, threshold, policy);
      expect(run.ok, `batch ${k}`).to.equal(true);
      if (!run.ok) continue;
      expect(run.journal, `batch ${k}`).to.deep.equal([reference.decisionBits, reference.activeCount]);
      expect(run.journalLen).to.equal(2);
      expect(run.steps).to.equal(loanGuestSteps(batch.length));
      expect(tapeDigest(tape, batchSalt(batch))).to.equal(reference.tapeDigest); // the binding to the policy proof
      const input = zkvmInput(guest.words, tape, params, limits, run, {}, batchSalt(batch));
      expect(BigInt(input.tapeDigest)).to.equal(reference.tapeDigest);
      const w = await h.witness(input as unknown as Record<string, unknown>);
      expect(h.get(w, "main.journal[0]")).to.equal(reference.decisionBits);
      if (k % 8 === 0) expect(h.failedConstraints(w)).to.deep.equal([]);
      // Any other decisionBits has no witness.
      const wrong = { ...input, journal: [String(reference.decisionBits ^ 1n), input.journal[1]] };
      let rejected = false;
      await h.witness(wrong as unknown as Record<string, unknown>).catch(() => (rejected = true));
      expect(rejected, `batch ${k}: flipped decision bit accepted`).to.equal(true);
    }
  });

  it("a score or threshold of 2^32 or more has no valid run (as the policy's 32-bit range checks)", async () => {
    const h = await testHarness();
    const one = (score: bigint): Application[] => [{ applicantId: 1n, score, salt: 3n }];
    // A threshold is a parameter: LE faults on it.
    for (const threshold of [2n ** 32n, R - 1n]) {
      const params = loanGuestParams({ ...binding, threshold });
      const run = emulate(guest.words, batchTape(one(10n), N), params, limits);
      expect(run).to.deep.include({ ok: false, reason: "compare-operand-too-wide", pc: 5 });
      expect(() => evaluatePolicy(one(10n), threshold, policy)).to.throw();
      let rejected = false;
      await h
        .witness(
          zkvmInput(guest.words, batchTape(one(10n), N), params, limits, run) as unknown as Record<string, unknown>,
        )
        .catch(() => (rejected = true));
      expect(rejected).to.equal(true);
    }
    // A score is a tape word: the emulator refuses the tape, and so does the circuit's tape range check
    // ("negative" scores too).
    const params = loanGuestParams({ ...binding, threshold: 10n });
    const honest = zkvmInput(guest.words, batchTape(one(10n), N), params, limits);
    for (const score of [2n ** 32n, R - 1n]) {
      const tape = batchTape(one(score), N);
      expect(() => emulate(guest.words, tape, params, limits)).to.throw(
        RangeError,
        `tape[1] must be a 32-bit tape word (0 <= x < 2^32), got ${score}`,
      );
      expect(() => evaluatePolicy(one(score), 10n, policy)).to.throw();
      let rejected = false;
      await h
        .witness({ ...honest, tape: tape.map(String) } as unknown as Record<string, unknown>)
        .catch(() => (rejected = true));
      expect(rejected).to.equal(true);
    }
  });

  it("a tape claiming more than N active slots is rejected: the guest runs out of tape", async () => {
    // The tape holds N scores after the count; the (N+1)-th READ finds the tape exhausted (the
    // circuit's tape fingerprint proves the pointer never passes L), and T = 7N + 7 steps run out.
    const h = await testHarness();
    expect(limits.T).to.equal(7 * N + 7);
    for (const count of [BigInt(N + 1), 2n ** 32n - 1n]) {
      const tape = batchTape(randomBatch(rng(9), N), N);
      tape[0] = count;
      const params = loanGuestParams({ ...binding, threshold: 2n ** 32n - 1n });
      const run = emulate(guest.words, tape, params, limits);
      expect(run).to.deep.include({ ok: false, reason: "tape-exhausted", step: 7 * N + 4 });
      let rejected = false;
      await h
        .witness(zkvmInput(guest.words, tape, params, limits, run) as unknown as Record<string, unknown>)
        .catch(() => (rejected = true));
      expect(rejected).to.equal(true);
    }
  });

  it("has a stable method ID, exported for the build manifest", () => {
    expect(guest.methodId).to.equal(methodId(guest.words));
    const extras = zkvmManifestExtras("test");
    expect(extras).to.deep.equal({
      loanGuestMethodId: guest.methodId.toString(),
      loanGuestWords: guest.words.length,
      loanGuestSteps: loanGuestSteps(N),
    });
    expect(zkvmManifestExtras("production").loanGuestMethodId).to.equal(extras.loanGuestMethodId); // independent of P, T, L
  });

  describe("a real Groth16 proof (test profile)", () => {
    const batch: Application[] = [
      { applicantId: 11n, score: 650n, salt: 123n },
      { applicantId: 12n, score: 651n, salt: 456n },
    ];
    const threshold = 650n;
    let proved: ZkvmProof;
    let words: bigint[];
    let verifier: ZkvmVerifier;
    let vkey: unknown;

    before(async () => {
      const paths = testBuildPaths(true);
      proved = await proveLoanGuest({ ...binding, threshold, batch, batchSize: N, profile: "test" });
      words = encodeZkvmProof(proved.proof);
      verifier = (await (await ethers.getContractFactory("ZkvmVerifierTest")).deploy()) as unknown as ZkvmVerifier;
      vkey = JSON.parse(fs.readFileSync(paths.vkey, "utf8"));
    });

    it("has the documented public signals: methodId, tapeDigest, params, journalLen, journal", () => {
      const reference = evaluatePolicy(batch, threshold, policy);
      expect(proved.publicSignals).to.deep.equal([
        guest.methodId,
        reference.tapeDigest,
        binding.domain,
        binding.prevRoot,
        binding.nonce,
        threshold,
        2n,
        0b01n,
        2n,
      ]);
    });

    it("verifies in JS and through ZkvmVerifierTest; encodeZkvmProof matches exportSolidityCallData", async () => {
      expect(await verifyZkvm(proved.proof, proved.publicSignals, { profile: "test" })).to.equal(true);
      expect(await verifier.verifyProof(...solidityArgs(words), proved.publicSignals)).to.equal(true);
      const calldata = await snarkjs.groth16.exportSolidityCallData(proved.proof, proved.publicSignals.map(String));
      const [a, b, c, s] = JSON.parse(`[${calldata}]`) as [string[], string[][], string[], string[]];
      expect(words).to.deep.equal([...a, ...b.flat(), ...c].map((x) => BigInt(x)));
      expect(s.map((x) => BigInt(x))).to.deep.equal(proved.publicSignals);
    });

    it("changing any public signal makes both verifiers reject (including the unread domain, root and nonce)", async () => {
      for (let i = 0; i < proved.publicSignals.length; i++) {
        const tampered = [...proved.publicSignals];
        tampered[i] = (tampered[i] + 1n) % R;
        expect(await verifyZkvm(proved.proof, tampered, { profile: "test" }), `JS, signal ${i}`).to.equal(false);
        expect(await verifier.verifyProof(...solidityArgs(words), tampered), `Solidity, signal ${i}`).to.equal(false);
        const aliased = [...proved.publicSignals];
        aliased[i] += R; // same field element, non-canonical: the Groth16 verifier checks < r
        expect(await verifier.verifyProof(...solidityArgs(words), aliased), `Solidity, signal ${i} + r`).to.equal(
          false,
        );
        expect(
          await snarkjs.groth16.verify(vkey, aliased.map(String), proved.proof),
          `snarkjs, signal ${i} + r`,
        ).to.equal(false);
        expect(await verifyZkvm(proved.proof, aliased, { profile: "test" }), `verifyZkvm, signal ${i} + r`).to.equal(
          false,
        );
      }
      expect(await verifyZkvm(proved.proof, proved.publicSignals.slice(1), { profile: "test" })).to.equal(false);
    });

    it("a tampered proof word is rejected on chain", async () => {
      for (const i of [0, 3, 7]) {
        const bad = [...words];
        bad[i] = (bad[i] + 1n) % R;
        expect(await verifier.verifyProof(...solidityArgs(bad), proved.publicSignals), `word ${i}`).to.equal(false);
      }
    });

    it("refuses to prove an invalid run, naming the fault", async () => {
      // A threshold of 2^32 reaches LE (tape words cannot: they are 32-bit by construction).
      const err = await proveZkvm(
        {
          program: guest.words,
          tape: batchTape([{ applicantId: 1n, score: 5n, salt: 1n }], N),
          params: loanGuestParams({ ...binding, threshold: 2n ** 32n }),
        },
        { profile: "test" },
      ).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ZkvmRunError);
      expect((err as ZkvmRunError).message).to.match(/compare-operand-too-wide at step 5, pc 5/);
      const wide = await proveZkvm(
        {
          program: guest.words,
          tape: batchTape([{ applicantId: 1n, score: 2n ** 32n, salt: 1n }], N),
          params: loanGuestParams({ ...binding, threshold }),
        },
        { profile: "test" },
      ).catch((e: unknown) => e);
      expect(wide).to.be.instanceOf(RangeError);
      expect((wide as Error).message).to.equal("tape[1] must be a 32-bit tape word (0 <= x < 2^32), got 4294967296");
      const sizeErr = await proveLoanGuest({ ...binding, threshold, batch, batchSize: N + 1, profile: "test" }).catch(
        (e: unknown) => e,
      );
      expect(sizeErr).to.be.instanceOf(RangeError);
      expect((sizeErr as Error).message).to.equal(
        `batch size ${N + 1} gives a ${N + 2}-word tape but the test zkVM reads ${limits.L} words (batch size ${N})`,
      );
    });
  });
});
