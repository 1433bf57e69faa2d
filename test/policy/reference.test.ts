import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import { poseidonWidth2Fallback } from "../../src/hash";
import {
  PolicyInputError,
  commitment,
  decodePolicyPublicSignals,
  encodePolicyProof,
  evaluatePolicy,
  policyInput,
  policyParams,
  policyPublicSignals,
  randomSalt,
  validateBatch,
  type PolicyParams,
  withSalts,
  type Application,
  type PlonkProof,
} from "../../src/policy";
import { TAG_COMMITMENT } from "../../src/tags";
import { batchSalt, batchTape, tapeDigest } from "../../src/tape";

// The reference is generic in N; N = 4 (twice the test circuit's) exercises partial batches of
// several sizes. The circuit tests check the reference against the circuit at the registry's N.
const params: PolicyParams = { batchSize: 4, scoreBits: 32 };
const N = params.batchSize;
const LIMIT = 1n << BigInt(params.scoreBits);
const app = (applicantId: bigint, score: bigint, salt = 7n): Application => ({ applicantId, score, salt });

/** Asserts that `fn` throws a PolicyInputError about `field` whose message matches `message`. */
function rejects(fn: () => unknown, field: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a PolicyInputError about ${field}`).to.be.instanceOf(PolicyInputError);
  expect((caught as PolicyInputError).field).to.equal(field);
  expect((caught as Error).message).to.match(message);
}

/** Asserts that `fn` throws a PolicyInputError about `field` with exactly `message`. */
function rejectsWith(fn: () => unknown, field: string, message: string): void {
  rejects(fn, field, new RegExp("^" + message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$"));
}

describe("policy reference (src/policy)", () => {
  describe("policyParams", () => {
    it("reads N and SCORE_BITS per profile from circuits/registry.json", () => {
      const registry = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "..", "circuits", "registry.json"), "utf8"),
      );
      for (const profile of ["test", "production"] as const) {
        const p = registry.circuits.policy.params[profile];
        expect(policyParams(profile)).to.deep.equal({ batchSize: p.N, scoreBits: p.SCORE_BITS });
      }
      expect(policyParams("test")).to.deep.equal({ batchSize: 2, scoreBits: 32 });
      expect(policyParams("production")).to.deep.equal({ batchSize: 88, scoreBits: 32 });
    });

    it("each profile's N matches the zkVM tape length L = N + 1", () => {
      const registry = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "..", "circuits", "registry.json"), "utf8"),
      );
      for (const profile of ["test", "production"] as const) {
        expect(registry.circuits.zkvm.params[profile].L, profile).to.equal(policyParams(profile).batchSize + 1);
      }
    });

    it("rejects a malformed registry entry", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-registry-"));
      const file = path.join(dir, "registry.json");
      fs.writeFileSync(file, JSON.stringify({ circuits: { policy: { params: { test: { N: 0, SCORE_BITS: 32 } } } } }));
      expect(() => policyParams("test", file)).to.throw(
        /policy\.params\.test\.N must be an integer in 1\.\.252, got 0/,
      );
      fs.writeFileSync(file, JSON.stringify({ circuits: { policy: { params: { test: { N: 4, SCORE_BITS: 33 } } } } }));
      expect(() => policyParams("test", file)).to.throw(
        /SCORE_BITS must be an integer in 1\.\.32 \(scores are 32-bit tape words\), got 33/,
      );
      expect(() => policyParams("production", file)).to.throw(/no policy parameters for profile "production"/);
      fs.rmSync(dir, { recursive: true });
    });
  });

  describe("evaluatePolicy", () => {
    it("computes decisions, count, commitments and the tape digest", () => {
      const batch = [app(1n, 600n, 11n), app(2n, 601n, 12n), app(3n, 0n, 13n)];
      const out = evaluatePolicy(batch, 600n, params);
      expect(out.decisionBits).to.equal(0b101n);
      expect(out.activeCount).to.equal(3n);
      const tag = TAG_COMMITMENT << 104n;
      expect(out.commitments).to.deep.equal([
        poseidonWidth2Fallback(11n, tag + (600n << 72n) + 1n),
        poseidonWidth2Fallback(12n, tag + (601n << 72n) + 2n),
        poseidonWidth2Fallback(13n, tag + 3n),
        0n,
      ]);
      expect(out.tapeDigest).to.equal(tapeDigest(batchTape(batch, N), batchSalt(batch)));
      expect(batchTape(batch, N)).to.deep.equal([3n, 600n, 601n, 0n, 0n]);
      expect(policyPublicSignals(out, 600n)).to.deep.equal([out.tapeDigest, 5n, 3n, ...out.commitments, 600n]);
      expect(decodePolicyPublicSignals(policyPublicSignals(out, 600n), params)).to.deep.equal({
        outputs: out,
        threshold: 600n,
      });
    });

    it("the empty batch has no decisions, no commitments and a tape of zeros and the empty batch salt", () => {
      const out = evaluatePolicy([], 0n, params);
      expect(out).to.deep.equal({
        tapeDigest: tapeDigest(new Array(1 + N).fill(0n), batchSalt([])),
        decisionBits: 0n,
        activeCount: 0n,
        commitments: new Array(N).fill(0n),
      });
    });

    it("salts hide: the same decisions with other salts give other commitments and digests", () => {
      const a = evaluatePolicy([app(1n, 5n, 1n)], 9n, params);
      const b = evaluatePolicy([app(1n, 5n, 2n)], 9n, params);
      expect(a.decisionBits).to.equal(b.decisionBits);
      expect(a.commitments[0]).to.not.equal(b.commitments[0]);
      expect(a.tapeDigest).to.not.equal(b.tapeDigest);
    });

    it("commitment(app) is the width-2 permutation of [salt, TAG_COMMITMENT * 2^104 + score * 2^72 + applicantId]", () => {
      expect(commitment(app(5n, 6n, 7n))).to.equal(
        poseidonWidth2Fallback(7n, TAG_COMMITMENT * 2n ** 104n + 6n * 2n ** 72n + 5n),
      );
      // The salt is the permutation's other element: another salt, another commitment.
      expect(commitment(app(5n, 6n, 8n))).to.not.equal(commitment(app(5n, 6n, 7n)));
      // The packing is injective within its bounds: the largest id and the smallest score do not collide.
      expect(commitment(app(2n ** 72n - 1n, 0n, 7n))).to.not.equal(commitment(app(0n, 1n, 7n)));
      rejects(
        () => commitment(app(2n ** 72n, 6n, 7n)),
        "applicantId",
        /applicantId must satisfy 0 <= applicantId < 2\^72, got 4722366482869645213696/,
      );
      rejects(
        () => commitment(app(-1n, 6n, 7n)),
        "applicantId",
        /applicantId must satisfy 0 <= applicantId < 2\^72, got -1/,
      );
      // The largest score still packs below the tag; 2^32 would reach into it.
      expect(commitment(app(0n, 2n ** 32n - 1n, 7n))).to.not.equal(commitment(app(0n, 0n, 7n)));
      rejects(
        () => commitment(app(5n, 2n ** 32n, 7n)),
        "score",
        /score must satisfy 0 <= score < 2\^32, got 4294967296/,
      );
      rejects(() => commitment(app(5n, 6n, P)), "salt", /salt must satisfy 0 <= salt < r/);
    });

    it("policyInput pads to N inactive all-zero slots", () => {
      expect(policyInput([app(9n, 3n, 4n)], 10n, params)).to.deep.equal({
        applicantId: ["9", "0", "0", "0"],
        score: ["3", "0", "0", "0"],
        salt: ["4", "0", "0", "0"],
        active: ["1", "0", "0", "0"],
        batchSalt: batchSalt([app(9n, 3n, 4n)]).toString(),
        threshold: "10",
      });
    });

    it("decodePolicyPublicSignals rejects a wrong signal count", () => {
      rejects(
        () => decodePolicyPublicSignals([1n, 2n], params),
        "publicSignals",
        /must have 4 \+ N = 8 entries, got 2/,
      );
    });
  });

  describe("input validation (PolicyInputError)", () => {
    const ok = [app(1n, 10n), app(2n, 20n)];

    it("score not an integer", () => {
      for (const bad of [1.5, "12a", NaN, null, {}] as unknown[]) {
        rejects(
          () => evaluatePolicy([app(1n, bad as bigint)], 10n, params),
          "batch[0].score",
          /batch\[0\]\.score must be an integer/,
        );
      }
    });
    it("threshold not an integer", () => {
      rejects(
        () => evaluatePolicy(ok, 2.5 as unknown as bigint, params),
        "threshold",
        /threshold must be an integer, got 2\.5/,
      );
    });
    it("negative score or threshold", () => {
      rejects(() => evaluatePolicy([app(1n, -1n)], 10n, params), "batch[0].score", /must not be negative, got -1/);
      rejects(() => evaluatePolicy(ok, -5n, params), "threshold", /threshold must not be negative, got -5/);
    });
    it("score or threshold >= 2^SCORE_BITS", () => {
      rejects(
        () => evaluatePolicy([app(1n, 1n), app(2n, LIMIT)], 10n, params),
        "batch[1].score",
        /must be < 2\^32 .*got 4294967296/,
      );
      rejects(() => evaluatePolicy(ok, LIMIT, params), "threshold", /threshold must be < 2\^32/);
      expect(evaluatePolicy([app(1n, LIMIT - 1n)], LIMIT - 1n, params).decisionBits).to.equal(1n);
    });
    it("applicantId outside [1, 2^64): 0, negative, 2^64, r", () => {
      const big = "use 64-bit integer identifiers, e.g. a database key";
      for (const [id, hint] of [
        [1n << 64n, big],
        [P, big],
        [0n, "ids start at 1 (0 marks an empty slot)"],
        [-1n, "ids start at 1 (0 marks an empty slot)"],
      ] as const) {
        rejectsWith(
          () => evaluatePolicy([app(5n, 1n), app(id, 1n)], 10n, params),
          "batch[1].applicantId",
          `batch[1].applicantId must satisfy 1 <= batch[1].applicantId < 2^64, got ${id}: ${hint}`,
        );
      }
      rejects(() => policyInput([app(1n << 64n, 1n)], 10n, params), "batch[0].applicantId", /< 2\^64/);
      // The bounds themselves are accepted.
      const edge = [app(1n, 1n), app((1n << 64n) - 1n, 1n)];
      expect(evaluatePolicy(edge, 10n, params).activeCount).to.equal(2n);
      expect(policyInput(edge, 10n, params).applicantId.slice(0, 2)).to.deep.equal(["1", "18446744073709551615"]);
    });
    it("salt outside the field", () => {
      rejects(() => evaluatePolicy([app(1n, 1n, P)], 10n, params), "batch[0].salt", /0 <= batch\[0\]\.salt < r/);
      rejects(() => evaluatePolicy([app(1n, 1n, -3n)], 10n, params), "batch[0].salt", /salt < r/);
      rejects(
        () => evaluatePolicy([{ applicantId: 1n, score: 1n } as Application], 10n, params),
        "batch[0].salt",
        /salt is missing: draw salts with withSalts/,
      );
    });
    it("more applications than N", () => {
      const many = Array.from({ length: N + 1 }, (_, i) => app(BigInt(i + 1), 1n));
      rejects(
        () => evaluatePolicy(many, 10n, params),
        "batch",
        /batch has 5 applications but the policy's batch size is 4: split it/,
      );
      rejects(() => policyInput(many, 10n, params), "batch", /batch size is 4/);
    });
    it("duplicate applicantId in a batch", () => {
      rejects(
        () => evaluatePolicy([app(7n, 1n), app(8n, 1n), app(7n, 2n)], 10n, params),
        "batch[2].applicantId",
        /batch\[2\]\.applicantId duplicates batch\[0\]\.applicantId \(7\)/,
      );
      rejects(
        () => evaluatePolicy([app(7n, 1n), app(7n, 2n)], 10n, params),
        "batch[1].applicantId",
        /batch\[1\]\.applicantId duplicates batch\[0\]\.applicantId \(7\): each applicant may appear once per batch/,
      );
    });
    it("applicantIds not strictly increasing (the circuit proves the order): names the slot, says to sort", () => {
      const message =
        "batch[2].applicantId (8) is below batch[1].applicantId (9): " +
        "the policy circuit needs strictly increasing ids: sort the batch by applicantId";
      const unsorted = [app(1n, 1n), app(9n, 2n), app(8n, 3n)];
      rejectsWith(() => evaluatePolicy(unsorted, 10n, params), "batch[2].applicantId", message);
      rejectsWith(() => policyInput(unsorted, 10n, params), "batch[2].applicantId", message);
      rejectsWith(() => validateBatch(unsorted, 10n, params), "batch[2].applicantId", message);
      // Compared as numbers, not as the strings or numbers given: 0x10 (16) after 9 is in order.
      const mixed = [
        { applicantId: 9, score: 1n, salt: 1n },
        { applicantId: "0x10", score: 1n, salt: 1n },
      ];
      expect(
        validateBatch(mixed as unknown as Application[], 10n, params).batch.map((a) => a.applicantId),
      ).to.deep.equal([9n, 16n]);
      rejects(
        () => validateBatch([mixed[1], mixed[0]] as unknown as Application[], 10n, params),
        "batch[1].applicantId",
        /^batch\[1\]\.applicantId \(9\) is below batch\[0\]\.applicantId \(16\): .*sort the batch by applicantId$/,
      );
    });
    it("accepts numbers and decimal/hex strings that are integers in range", () => {
      const loose = [{ applicantId: "0x10", score: 20, salt: "5" }] as unknown as Application[];
      expect(evaluatePolicy(loose, 20n, params)).to.deep.equal(evaluatePolicy([app(16n, 20n, 5n)], 20n, params));
    });
  });

  describe("withSalts / randomSalt", () => {
    it("draws missing salts below r and keeps given ones", () => {
      const apps = withSalts([
        { applicantId: 1n, score: 2n },
        { applicantId: 3n, score: 4n, salt: 99n },
      ]);
      expect(apps[1]).to.deep.equal({ applicantId: 3n, score: 4n, salt: 99n });
      expect(apps[0].salt).to.be.a("bigint");
      expect(apps[0].salt < P).to.equal(true);
      const salts = new Set(Array.from({ length: 200 }, () => randomSalt()));
      expect(salts.size).to.equal(200);
      for (const s of salts) expect(s >= 0n && s < P).to.equal(true);
      // Uniform on [0, r): about half the draws fall above r/2 (binomial, 200 draws; 6-sigma bounds).
      const high = [...salts].filter((s) => s > P / 2n).length;
      expect(high).to.be.within(58, 142);
    });
  });

  describe("encodePolicyProof", () => {
    const point = (k: number) => [String(k), String(k + 1), "1"];
    const proof = {
      A: point(1),
      B: point(3),
      C: point(5),
      Z: point(7),
      T1: point(9),
      T2: point(11),
      T3: point(13),
      Wxi: point(15),
      Wxiw: point(17),
      eval_a: "19",
      eval_b: "20",
      eval_c: "21",
      eval_s1: "22",
      eval_s2: "23",
      eval_zw: "24",
      protocol: "plonk",
      curve: "bn128",
    } as PlonkProof;

    it("orders A, B, C, Z, T1, T2, T3, Wxi, Wxiw (x, y) then the six evaluations", () => {
      expect(encodePolicyProof(proof)).to.deep.equal(Array.from({ length: 24 }, (_, i) => BigInt(i + 1)));
    });
    it("rejects a projective point that is not normalized", () => {
      rejects(() => encodePolicyProof({ ...proof, Z: ["1", "2", "3"] }), "proof.Z", /affine form \(z = 1\)/);
    });
  });
});
