import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import path from "node:path";
import { CircomCompileError, compileTemplate } from "../../src/build/circom";
import { DEV_PTAU_POWER } from "../../src/build/ptau";
import { REPO_ROOT, circuitPaths, manifestPath } from "../../src/paths";
import { evaluatePolicy, policyInput, policyParams, type PolicyOutputs } from "../../src/policy";
import { plonkSize } from "../../src/policy/gates";
import { APPLICANT_ID_LIMIT, batchSalt, batchTape, tapeDigest } from "../../src/tape";
import { loadHarness, type Harness } from "../helpers/circuit";
import { policyCases } from "./cases";
import { Forger, type Assignment, type Slot } from "./forge";

const params = policyParams("test");
const N = params.batchSize;
const MAX = (1n << BigInt(params.scoreBits)) - 1n;
const paths = circuitPaths("policy", "test");

function outputsOf(h: Harness, w: readonly bigint[]): PolicyOutputs {
  return {
    tapeDigest: h.get(w, "main.tapeDigest"),
    decisionBits: h.get(w, "main.decisionBits"),
    activeCount: h.get(w, "main.activeCount"),
    commitments: Array.from({ length: N }, (_, i) => h.get(w, `main.commitments[${i}]`)),
  };
}

describe("policy circuit (test profile, witness level)", function () {
  let h: Harness;
  let forger: Forger;

  before(async function () {
    if (!fs.existsSync(paths.r1cs)) {
      throw new Error(`${paths.r1cs} is missing: run npx hardhat circuits:build --profile test`);
    }
    h = await loadHarness(paths);
    forger = await Forger.load(h, params, paths.r1cs);
  });

  it("is compiled with the registry's circomFlags (--O1), which the build records in its manifest", () => {
    const registry = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "circuits", "registry.json"), "utf8"));
    expect(registry.circuits.policy.circomFlags).to.deep.equal(["--O1"]);
    const manifest = JSON.parse(fs.readFileSync(manifestPath("test"), "utf8"));
    expect(manifest.circuits.policy.compiler.flags.slice(-1)).to.deep.equal(["--O1"]);
    expect(manifest.circuits.policy.plonkGates).to.be.at.most(2 ** DEV_PTAU_POWER);
  });

  it(`fits the 2^${DEV_PTAU_POWER} dev powers of tau as a PLONK circuit`, async () => {
    const size = await plonkSize(paths.r1cs);
    expect(size.nPublic).to.equal(4 + N);
    expect(size.gates).to.be.at.most(2 ** DEV_PTAU_POWER);
  });

  describe("differential: witness outputs == evaluatePolicy", () => {
    const cases = policyCases(params, 200);
    const EDGE = policyCases(params, 0).length;
    it(`covers ${cases.length} batches incl. the listed edge cases`, async () => {
      expect(cases.length).to.be.at.least(200);
      let checked = 0;
      for (const [k, c] of cases.entries()) {
        const expected = evaluatePolicy(c.batch, c.threshold, params);
        const w = await h.witness({ ...policyInput(c.batch, c.threshold, params) });
        expect(outputsOf(h, w), c.name).to.deep.equal(expected);
        expect(h.get(w, "main.threshold"), c.name).to.equal(c.threshold);
        // Every R1CS constraint, on the edge cases and a sample of the random ones (the wasm asserts the rest).
        if (k < EDGE || k % 10 === 0) {
          expect(h.failedConstraints(w), c.name).to.deep.equal([]);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(30);
    });

    it("the random batches cover empty, full, mixed, boundary and extreme cases", () => {
      const random = cases.slice(EDGE);
      const has = (f: (c: (typeof cases)[number]) => boolean) => random.filter(f).length;
      expect(
        has((c) => c.batch.length === 0),
        "empty",
      ).to.be.greaterThan(5);
      expect(
        has((c) => c.batch.length === N),
        "full",
      ).to.be.greaterThan(20);
      expect(
        has((c) => c.threshold === 0n),
        "threshold 0",
      ).to.be.greaterThan(5);
      expect(
        has((c) => c.threshold === MAX),
        "max threshold",
      ).to.be.greaterThan(5);
      expect(
        has((c) => c.batch.some((a) => a.score === c.threshold)),
        "score == threshold",
      ).to.be.greaterThan(20);
      expect(
        has((c) => c.batch.some((a) => a.score === c.threshold + 1n)),
        "score == threshold + 1",
      ).to.be.greaterThan(10);
      expect(
        has((c) => c.batch.some((a) => a.score === MAX)),
        "max score",
      ).to.be.greaterThan(10);
      expect(
        has((c) => c.batch.some((a) => a.score === 0n)),
        "score 0",
      ).to.be.greaterThan(10);
      expect(
        has((c) => c.batch.some((a) => a.applicantId === APPLICANT_ID_LIMIT - 1n)),
        "id 2^64 - 1",
      ).to.be.greaterThan(10);
      expect(
        has((c) => c.batch.some((a) => a.applicantId === 1n)),
        "id 1",
      ).to.be.greaterThan(10);
      expect(
        has((c) => c.batch.some((a) => a.salt === P - 1n)),
        "r - 1 salts",
      ).to.be.greaterThan(10);
      const bits = random.map((c) => evaluatePolicy(c.batch, c.threshold, params));
      expect(
        bits.filter((o) => o.activeCount > 1n && o.decisionBits > 0n && o.decisionBits < (1n << o.activeCount) - 1n)
          .length,
        "mixed",
      ).to.be.greaterThan(20);
    });

    it("edge cases give the decisions the policy says", () => {
      const byName = new Map(policyCases(params, 0).map((c) => [c.name, evaluatePolicy(c.batch, c.threshold, params)]));
      const all = (1n << BigInt(N)) - 1n;
      expect(byName.get("all approve")!.decisionBits).to.equal(all);
      expect(byName.get("all deny")!.decisionBits).to.equal(0n);
      expect(byName.get("score == threshold")!.decisionBits).to.equal(all);
      expect(byName.get("score == threshold + 1")!.decisionBits).to.equal(0n);
      expect(byName.get("max threshold, max scores")!.decisionBits).to.equal(all);
      expect(byName.get("max scores, threshold max - 1")!.decisionBits).to.equal(0n);
      expect(byName.get("empty batch")!.commitments).to.deep.equal(new Array(N).fill(0n));
    });
  });

  describe("forged witnesses are rejected by the constraints", () => {
    // Honest base: slot 0 approved (score == threshold), slot 1 denied, slots 2.. inactive (none at
    // the test profile's N = 2). A second base, one application, has an inactive slot at any N >= 2.
    const threshold = 650n;
    const batch = [
      { applicantId: 11n, score: 650n, salt: 123456789n },
      { applicantId: 12n, score: 700n, salt: 987654321n },
    ];
    let base: bigint[];
    let honest: Assignment;
    let partialBase: bigint[];
    let partial: Assignment;

    before(async () => {
      expect(N, "the forgeries below need two slots").to.be.at.least(2);
      base = await h.witness({ ...policyInput(batch, threshold, params) });
      honest = forger.assignment(base);
      partialBase = await h.witness({ ...policyInput(batch.slice(0, 1), threshold, params) });
      partial = forger.assignment(partialBase);
    });

    const slots = (from: Assignment = honest): Slot[] => from.slots.map((s) => ({ ...s }));
    /** Claimed per-slot decisions: the given bits, then 0 for the remaining slots. */
    const decisions = (...bits: bigint[]): bigint[] => [...bits, ...new Array<bigint>(N - bits.length).fill(0n)];

    // A check is identified by signals its constraint mentions (a trailing "*" matches a prefix).
    type Check = string[];
    const BITS = params.scoreBits;
    const comparator = (i: number): Check => [
      `main.scoreLeThreshold[${i}].lt.n2b.out[0]`,
      `main.scoreLeThreshold[${i}].lt.n2b.out[${BITS}]`,
    ];
    const scoreRange = (i: number): Check => [
      `main.score[${i}]`,
      `main.scoreRange[${i}].out[0]`,
      `main.scoreRange[${i}].out[${BITS - 1}]`,
    ];
    const thresholdRange: Check = [
      "main.threshold",
      "main.thresholdRange.out[0]",
      `main.thresholdRange.out[${BITS - 1}]`,
    ];
    const anyComparator: Check = ["main.scoreLeThreshold[*"];
    const decisionGate = (i: number): Check => [
      `main.decision[${i}]`,
      `main.active[${i}]`,
      `main.scoreLeThreshold[${i}].out`,
    ];
    const packedBits: Check = ["main.decisionBits", ...Array.from({ length: N }, (_, i) => `main.decision[${i}]`)];
    const commitmentGate = (i: number): Check => [
      `main.active[${i}]`,
      `main.commitHash[${i}].out[0]`,
      `main.commitments[${i}]`,
    ];
    const inactiveZero = (i: number, key: string): Check => [`main.active[${i}]`, `main.${key}[${i}]`];
    const prefix = (i: number): Check => [`main.active[${i - 1}]`, `main.active[${i}]`];
    const activeSum: Check = ["main.activeCount", ...Array.from({ length: N }, (_, i) => `main.active[${i}]`)];
    // The weighted-sum constraint of the id order check's Num2Bits(64): step = sum 2^k out[k].
    const idStep = (i: number): Check => [
      `main.idStep[${i}].in`,
      `main.idStep[${i}].out[0]`,
      `main.idStep[${i}].out[63]`,
    ];
    const digestOut: Check = ["main.tapeDigest", "main.tape.*"];
    const tapeWord = (signal: string): Check => [signal, "main.tape.*"];

    const matches = (signals: Set<string>, check: Check) =>
      check.every((n) => (n.endsWith("*") ? [...signals].some((x) => x.startsWith(n.slice(0, -1))) : signals.has(n)));

    /**
     * Builds the forgery, asserts it violates every `required` check and nothing but `required` and
     * `allowed` checks: the forgery is caught by the constraint meant to catch it.
     */
    const rejected = async (a: Assignment, required: Check[], allowed: Check[] = [], from = base) => {
      const w = await forger.build(from, a);
      const failed = h.failedConstraints(w);
      const violated = failed.map((i) => new Set(forger.constraintSignals(i)));
      if (process.env.POLICY_FORGE_DEBUG) {
        for (const i of failed)
          console.log(`      constraint ${i}: ${forger.constraintSignals(i).join(" ")}`.slice(0, 400));
      }
      expect(failed, "forged witness must violate a constraint").to.not.be.empty;
      for (const check of required) {
        expect(
          violated.some((v) => matches(v, check)),
          `a violated constraint involves ${check.join(", ")}`,
        ).to.equal(true);
      }
      violated.forEach((v, k) => {
        const expected = [...required, ...allowed].some((check) => matches(v, check));
        expect(expected, `unexpected violated constraint ${failed[k]}: ${[...v].join(" ").slice(0, 300)}`).to.equal(
          true,
        );
      });
      return w;
    };

    it("the forger reproduces honest witnesses exactly (so the forgeries below are sound attempts)", async () => {
      expect(await forger.build(base, honest)).to.deep.equal(base);
      expect(await forger.build(partialBase, partial)).to.deep.equal(partialBase);
      for (const c of policyCases(params, 10).slice(0, 20)) {
        const w = await h.witness({ ...policyInput(c.batch, c.threshold, params) });
        expect(await forger.build(w, forger.assignment(w)), c.name).to.deep.equal(w);
      }
    });

    it("rejects a flipped decision bit (approval denied, denial approved)", async () => {
      const w1 = await rejected({ ...honest, slots: slots(), decisions: decisions(0n, 0n) }, [comparator(0)]);
      expect(h.get(w1, "main.decisionBits")).to.equal(0n);
      const w2 = await rejected({ ...honest, slots: slots(), decisions: decisions(1n, 1n) }, [comparator(1)]);
      expect(h.get(w2, "main.decisionBits")).to.equal(3n);
      // Only the public bit changed, the per-slot decision left honest.
      await rejected({ ...honest, slots: slots(), decisionBits: 0n }, [packedBits]);
      // The per-slot decision flipped while the comparator keeps its honest output.
      const w3 = await forger.build(base, { ...honest, slots: slots() });
      const flipped = h.forge(w3, { "main.decision[0]": 0n, "main.decisionBits": 0n });
      const failed = h.failedConstraints(flipped).map((i) => new Set(forger.constraintSignals(i)));
      expect(failed).to.have.length(1);
      expect(matches(failed[0], decisionGate(0))).to.equal(true);
    });

    it("rejects score = threshold + 1 claimed as approved", async () => {
      const s = slots();
      s[0].score = threshold + 1n;
      await rejected({ ...honest, slots: s, decisions: decisions(1n, 0n) }, [comparator(0)]);
      // The same data with the honest decision is accepted: the rejection is the comparison's.
      const ok = await forger.build(base, { ...honest, slots: s });
      expect(h.failedConstraints(ok)).to.deep.equal([]);
      expect(h.get(ok, "main.decisionBits")).to.equal(0n);
    });

    it("rejects score = p - 1 (which the unchecked comparator would approve)", async () => {
      const s = slots();
      s[0].score = P - 1n;
      const w = await rejected({ ...honest, slots: s }, [scoreRange(0)]);
      // Without the score range check LessEqThan would say p - 1 <= threshold: the forgery claims approval for free.
      expect(h.get(w, "main.scoreLeThreshold[0].out")).to.equal(1n);
      expect(h.get(w, "main.decisionBits") & 1n).to.equal(1n);
    });

    it("rejects score = 2^SCORE_BITS", async () => {
      const s = slots();
      s[1].score = 1n << BigInt(params.scoreBits);
      await rejected(
        { ...honest, slots: s, threshold: MAX, decisions: decisions(1n, 1n) },
        [scoreRange(1)],
        [comparator(1)],
      );
      await rejected({ ...honest, slots: s }, [scoreRange(1)], [comparator(1)]);
    });

    it("rejects a tape-packing collision (score[0] + 2^32, score[1] - 1): the same tapeDigest, caught by the score range check", async () => {
      // The tape packs seven 32-bit words per element: these two scores pack to the same element, so
      // the digest (recomputed by the forger) is the honest one and only the range check objects.
      const s = slots();
      s[0].score += 1n << 32n;
      s[1].score -= 1n;
      const w = await rejected({ ...honest, slots: s }, [scoreRange(0)], [comparator(0)]);
      expect(h.get(w, "main.tapeDigest")).to.equal(h.get(base, "main.tapeDigest"));
    });

    it("rejects threshold >= 2^SCORE_BITS (2^SCORE_BITS, 2^SCORE_BITS + 700, p - 1)", async () => {
      for (const t of [1n << BigInt(params.scoreBits), (1n << BigInt(params.scoreBits)) + 700n, P - 1n]) {
        await rejected(
          { ...honest, slots: slots(), threshold: t, decisions: decisions(1n, 1n) },
          [thresholdRange],
          [anyComparator],
        );
        await rejected({ ...honest, slots: slots(), threshold: t }, [thresholdRange], [anyComparator]);
      }
    });

    it("rejects a commitment that does not match (applicantId, score, salt)", async () => {
      const h0 = (s: Slot) =>
        evaluatePolicy([{ applicantId: s.applicantId, score: s.score, salt: s.salt }], 0n, params).commitments[0];
      const real = evaluatePolicy(batch, threshold, params).commitments;
      for (const change of [{ applicantId: 99n }, { score: 640n }, { salt: 5n }]) {
        const other = { ...honest.slots[0], ...change };
        await rejected({ ...honest, slots: slots(), commitments: [h0(other), ...real.slice(1)] }, [commitmentGate(0)]);
      }
      // A commitment on an inactive slot (slot 1 of the one-application batch).
      const one = evaluatePolicy(batch.slice(0, 1), threshold, params).commitments;
      const onInactive = [one[0], one[0], ...one.slice(2)];
      await rejected(
        { ...partial, slots: slots(partial), commitments: onInactive },
        [commitmentGate(1)],
        [],
        partialBase,
      );
    });

    it("rejects an inactive slot with non-zero data (each of applicantId, score, salt)", async () => {
      for (const key of ["applicantId", "score", "salt"] as const) {
        const s = slots(partial);
        s[N - 1][key] = 5n;
        await rejected({ ...partial, slots: s }, [inactiveZero(N - 1, key)], [], partialBase);
      }
    });

    it("rejects active slots that are not a prefix, and a non-boolean active flag", async () => {
      // The one application moved from slot 0 to slot 1, slot 0 left inactive.
      const s = slots(partial);
      s[1] = { ...s[0] };
      s[0] = { applicantId: 0n, score: 0n, salt: 0n, active: 0n };
      await rejected({ ...partial, slots: s }, [prefix(1)], [], partialBase);
      const t = slots();
      t[1].active = 2n;
      const w = await rejected(
        { ...honest, slots: t },
        [["main.active[1]"]],
        [inactiveZero(1, "applicantId"), inactiveZero(1, "score"), inactiveZero(1, "salt")],
      );
      // Among them the booleanity constraint itself, which mentions active[1] only.
      const only = h.failedConstraints(w).map((k) => forger.constraintSignals(k).join(" "));
      expect(only).to.include("main.active[1]");
    });

    it("rejects a tapeDigest that does not match the tape", async () => {
      // The same tape under another blinding (another batch salt).
      const otherSalt = batchSalt([batch[0], { ...batch[1], salt: 1n }]);
      await rejected({ ...honest, slots: slots(), tapeDigest: tapeDigest(batchTape(batch, N), otherSalt) }, [
        digestOut,
      ]);
      // Sponge internals computed honestly over a different tape (another score in slot 1) while the
      // slots, and so the commitments and decisions, keep theirs: the tape must carry the scores the
      // commitments bind, which is what ties the zkVM's run to the committed applications.
      const t = slots();
      t[1] = { ...t[1], score: 640n };
      await rejected({ ...honest, slots: slots(), tapeSlots: t }, [tapeWord("main.score[1]")]);
      // The tape's activeCount word differing from activeCount.
      await rejected({ ...honest, slots: slots(), tapeActiveCount: 3n }, [tapeWord("main.activeCount")]);
    });

    it("rejects another opening of a commitment's packed word (id - 2^72, score + 1): a denial under the same commitment", async () => {
      // TAG * 2^104 + score * 2^72 + applicantId is the same word for (11, 650) and (11 - 2^72 mod r, 651), so the
      // commitment, its Poseidon internals and everything else stay consistent; only the id order
      // check (which bounds ids below 2^72) can tell.
      const s = slots(partial);
      s[0] = { ...s[0], applicantId: 11n - (1n << 72n), score: 651n };
      const w = await rejected({ ...partial, slots: s }, [idStep(0)], [], partialBase);
      expect(h.failedConstraints(w)).to.have.length(1);
      expect(h.get(w, "main.commitments[0]")).to.equal(
        evaluatePolicy(batch.slice(0, 1), threshold, params).commitments[0],
      );
      expect(h.get(w, "main.decisionBits")).to.equal(0n); // the honest batch approves slot 0
      expect(h.get(partialBase, "main.decisionBits")).to.equal(1n);
    });

    it("rejects an activeCount that is not the number of active slots", async () => {
      await rejected({ ...honest, slots: slots(), activeCount: 3n }, [activeSum]);
    });

    // applicantId order (docs/policy.md): each forgery keeps every other wire consistent (commitments,
    // tape, decisions recomputed for the forged ids), so exactly one constraint fails: the weighted
    // sum of the id step's Num2Bits(64), for which no bits exist. Without the id order check these
    // witnesses satisfy every constraint.
    it("rejects two active slots with the same applicantId (the same applicant approved and denied)", async () => {
      const s = slots();
      s[1].applicantId = s[0].applicantId;
      const w = await rejected({ ...honest, slots: s }, [idStep(1)]);
      expect(h.failedConstraints(w)).to.have.length(1);
      // What the forgery would prove: applicant 11 approved in slot 0 and denied in slot 1.
      expect(h.get(w, "main.applicantId[1]")).to.equal(11n);
      expect(h.get(w, "main.decisionBits")).to.equal(0b01n);
      expect(h.get(w, "main.commitments[1]")).to.equal(
        evaluatePolicy([{ ...batch[1], applicantId: 11n }], threshold, params).commitments[0],
      );
    });

    it("rejects an active slot with applicantId 0", async () => {
      const s = slots(partial);
      s[0].applicantId = 0n;
      const w = await rejected({ ...partial, slots: s }, [idStep(0)], [], partialBase);
      expect(h.failedConstraints(w)).to.have.length(1);
    });

    it("rejects an all-zero active slot after an application (an extra approved application)", async () => {
      // The empty slot 1 of the one-application batch switched on with its all-zero data.
      const s = slots(partial);
      s[1].active = 1n;
      const w = await rejected({ ...partial, slots: s }, [idStep(1)], [], partialBase);
      expect(h.failedConstraints(w)).to.have.length(1);
      expect(h.get(w, "main.activeCount")).to.equal(2n);
      expect(h.get(w, "main.decisionBits")).to.equal(0b11n);
    });

    it("rejects an all-zero active slot 0 (an empty batch claiming one application)", async () => {
      const emptyBase = await h.witness({ ...policyInput([], threshold, params) });
      const empty = forger.assignment(emptyBase);
      const s = slots(empty);
      s[0].active = 1n;
      const w = await rejected({ ...empty, slots: s }, [idStep(0)], [], emptyBase);
      expect(h.failedConstraints(w)).to.have.length(1);
      expect(h.get(w, "main.activeCount")).to.equal(1n);
    });

    it("rejects decreasing applicantIds (slot 1 below slot 0)", async () => {
      const s = slots();
      [s[0].applicantId, s[1].applicantId] = [s[1].applicantId, s[0].applicantId];
      const w = await rejected({ ...honest, slots: s }, [idStep(1)]);
      expect(h.failedConstraints(w)).to.have.length(1);
      expect([h.get(w, "main.applicantId[0]"), h.get(w, "main.applicantId[1]")]).to.deep.equal([12n, 11n]);
    });

    it("the id step is range-checked to exactly 64 bits: a step of 2^64 is rejected, 2^64 - 1 accepted", async () => {
      const s = slots();
      s[1].applicantId = s[0].applicantId + (1n << 64n) + 1n; // step id[1] - id[0] - 1 = 2^64
      await rejected({ ...honest, slots: s }, [idStep(1)]);
      // 2^64 - 1 is the largest step: accepted by the circuit (src/policy refuses ids >= 2^64 anyway).
      s[1].applicantId = s[0].applicantId + (1n << 64n);
      expect(h.failedConstraints(await forger.build(base, { ...honest, slots: s }))).to.deep.equal([]);
    });
  });
});

describe("policy circuit template parameters", function () {
  this.timeout(120_000);
  // SCORE_BITS <= 32: scores are 32-bit tape words (packed seven per element) and fit the commitment's word.
  it("refuses SCORE_BITS = 33 at compile time (32 compiles)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-params-"));
    const spec = (bits: number) => ({
      file: "circuits/policy/policy_batch.circom",
      template: "PolicyBatch",
      params: [1, bits],
      publicInputs: ["threshold"],
    });
    try {
      await compileTemplate(spec(32), "ok32", path.join(dir, "ok"), ["--O1"]);
      let error: unknown;
      await compileTemplate(spec(33), "bad33", path.join(dir, "bad"), ["--O1"]).catch((e) => (error = e));
      expect(error).to.be.instanceOf(CircomCompileError);
      expect((error as Error).message).to.match(/assert/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
