import { expect } from "chai";
import { SNARK_SCALAR_FIELD, asciiTag, assertFieldElement, toBigInt } from "../src/field";
import { spongeDigest } from "../src/hash";
import { batchSalt, batchTape, tapeBatchSize, tapeDigest, tapeLength } from "../src/tape";
import { TAG_BATCH_SALT, TAG_COMMITMENT, TAG_METHOD, TAG_READS, TAG_TAPE } from "../src/tags";
import fs from "node:fs";
import path from "node:path";

describe("foundation: field, tags, sponge, tape", () => {
  it("SNARK_SCALAR_FIELD is the BN254 scalar field order used by snarkjs", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getCurveFromName } = require("ffjavascript");
    const curve = await getCurveFromName("bn128", true);
    try {
      expect(SNARK_SCALAR_FIELD).to.equal(curve.r);
    } finally {
      await curve.terminate();
    }
  });

  it("circuits/lib/tags.circom hard-codes the same tags as src/tags.ts", () => {
    const circom = fs.readFileSync(path.join(__dirname, "..", "circuits", "lib", "tags.circom"), "utf8");
    for (const [name, value] of Object.entries({ TAG_TAPE, TAG_COMMITMENT, TAG_METHOD, TAG_READS })) {
      const m = new RegExp(`function ${name}\\(\\) \\{ return (\\d+); \\}`).exec(circom);
      expect(m, name).to.not.equal(null);
      expect(BigInt(m![1]), name).to.equal(value);
    }
    expect(asciiTag("zkla.tape.v2")).to.equal(TAG_TAPE);
    expect(asciiTag("zkla.commitment.v2")).to.equal(TAG_COMMITMENT);
  });

  it("field helpers reject non-canonical values with a clear message", () => {
    expect(() => assertFieldElement(SNARK_SCALAR_FIELD, "salt")).to.throw(
      RangeError,
      /salt must satisfy 0 <= salt < r/,
    );
    expect(() => assertFieldElement(-1n, "salt")).to.throw(RangeError);
    expect(() => toBigInt("12a", "score")).to.throw(TypeError, /score must be a non-negative integer/);
    expect(() => toBigInt(1.5, "score")).to.throw(RangeError, /score must be an integer/);
    expect(toBigInt("0x10", "x")).to.equal(16n);
  });

  it("sponge binds length and tag", () => {
    expect(spongeDigest(TAG_TAPE, [0n])).to.not.equal(spongeDigest(TAG_TAPE, [0n, 0n]));
    expect(spongeDigest(TAG_TAPE, [1n])).to.not.equal(spongeDigest(TAG_METHOD, [1n]));
    expect(spongeDigest(TAG_TAPE, [])).to.not.equal(spongeDigest(TAG_TAPE, [0n]));
  });

  it("batchTape lays out count, scores and the batch salt, and rejects oversize batches", () => {
    const apps = [
      { applicantId: 11n, score: 700n, salt: 5n },
      { applicantId: 12n, score: 650n, salt: 6n },
    ];
    const tape = batchTape(apps, 3);
    const salt = spongeDigest(TAG_BATCH_SALT, [5n, 6n]);
    expect(batchSalt(apps)).to.equal(salt);
    expect(tape).to.deep.equal([2n, 700n, 650n, 0n, salt]);
    expect(tape.length).to.equal(tapeLength(3));
    expect(tapeBatchSize(tape.length)).to.equal(3);
    expect(tapeBatchSize(2)).to.equal(undefined);
    // The batch salt follows every application salt (ids are not on the tape; their commitments hold them).
    expect(batchSalt([apps[0], { ...apps[1], salt: 7n }])).to.not.equal(salt);
    expect(batchSalt([apps[0], { ...apps[1], applicantId: 13n }])).to.equal(salt);
    expect(() => batchTape(new Array(4).fill({ applicantId: 1n, score: 1n, salt: 1n }), 3)).to.throw(
      /batch has 4 applications but the policy's batch size is 3/,
    );
    expect(tapeDigest(tape)).to.be.lessThan(SNARK_SCALAR_FIELD);
  });
});
