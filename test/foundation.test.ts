import { expect } from "chai";
import { SNARK_SCALAR_FIELD, asciiTag, assertFieldElement, toBigInt } from "../src/field";
import { spongeDigest } from "../src/hash";
import { batchSalt, batchTape, batchTapeDigest, packTape, tapeBatchSize, tapeDigest, tapeLength } from "../src/tape";
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { poseidon16 } from "poseidon-lite/poseidon16";
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
    expect(asciiTag("zkla.tape.v3")).to.equal(TAG_TAPE);
    expect(asciiTag("zkla.commitment.v3")).to.equal(TAG_COMMITMENT);
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

  it("batchTape lays out count and scores, batchSalt derives the blinding, and oversize batches are rejected", () => {
    const apps = [
      { applicantId: 11n, score: 700n, salt: 5n },
      { applicantId: 12n, score: 650n, salt: 6n },
    ];
    const tape = batchTape(apps, 3);
    const salt = spongeDigest(TAG_BATCH_SALT, [5n, 6n]);
    expect(batchSalt(apps)).to.equal(salt);
    expect(tape).to.deep.equal([2n, 700n, 650n, 0n]);
    expect(tape.length).to.equal(tapeLength(3));
    expect(tapeBatchSize(tape.length)).to.equal(3);
    expect(tapeBatchSize(1)).to.equal(undefined);
    // The batch salt follows every application salt (ids are not on the tape; their commitments hold them).
    expect(batchSalt([apps[0], { ...apps[1], salt: 7n }])).to.not.equal(salt);
    expect(batchSalt([apps[0], { ...apps[1], applicantId: 13n }])).to.equal(salt);
    expect(() => batchTape(new Array(4).fill({ applicantId: 1n, score: 1n, salt: 1n }), 3)).to.throw(
      /batch has 4 applications but the policy's batch size is 3/,
    );
    expect(batchTapeDigest(apps, 3)).to.equal(tapeDigest(tape, salt));
  });

  it("tapeDigest packs seven 32-bit words per element after the blinding, in one narrow Poseidon up to 15 elements", () => {
    // Recomputed here from poseidon-lite directly (not through src/hash): the layout of docs/tape.md.
    const words = [3n, 0xffffffffn, 7n, 0n, 1n, 2n, 5n, 9n]; // 8 words: two packed elements
    const packed0 = words.slice(0, 7).reduce((acc, w, j) => acc + (w << (32n * BigInt(j))), 0n);
    expect(packTape(words)).to.deep.equal([packed0, 9n]);
    const h0 = poseidon2([TAG_TAPE, 8n]);
    expect(tapeDigest(words, 42n)).to.equal(poseidon4([h0, 42n, packed0, 9n]));
    // The blinding and the length are bound: a trailing zero word changes the digest.
    expect(tapeDigest(words, 43n)).to.not.equal(tapeDigest(words, 42n));
    expect(tapeDigest([...words, 0n], 42n)).to.not.equal(tapeDigest(words, 42n));
    // 16 elements and more (a tape of 99+ words): the rate-15 sponge, Poseidon(16) per 15 elements.
    const long = Array.from({ length: 7 * 15 }, (_, i) => BigInt(i));
    const elements = [1n, ...packTape(long)];
    expect(elements).to.have.length(16);
    const first = poseidon16([poseidon2([TAG_TAPE, 105n]), ...elements.slice(0, 15)]);
    expect(tapeDigest(long, 1n)).to.equal(poseidon16([first, elements[15], ...new Array(14).fill(0n)]));
  });

  it("tapeDigest refuses a word of 2^32 or more, a negative word and a blinding outside the field", () => {
    expect(() => tapeDigest([1n, 1n << 32n], 0n)).to.throw(
      RangeError,
      /tape\[1\] must be a 32-bit tape word \(0 <= x < 2\^32\), got 4294967296/,
    );
    expect(() => tapeDigest([-1n], 0n)).to.throw(RangeError, /tape\[0\] must be a 32-bit tape word/);
    expect(() => tapeDigest([1n], SNARK_SCALAR_FIELD)).to.throw(
      RangeError,
      /tape blinding must satisfy 0 <= tape blinding < r/,
    );
  });
});
