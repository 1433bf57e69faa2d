/**
 * circuits/lib/sponge.circom against src/hash.ts: POSEIDON2_CONST (the sponge's first state, computed
 * by the compiler instead of a Poseidon(2) in constraints) equals poseidon([a, b]) for several
 * constants, incl. r - 1; SpongeDigest(TAG, L) equals spongeDigest(TAG, words) for several tags and
 * lengths (0, 1, 16, 49); TapeDigest(L) equals src/tape tapeDigest at 3, 49 and 105 words (one
 * Poseidon(3), one Poseidon(9), the rate-15 sponge over 16 elements); PoseidonEx(1, 1) with an
 * initial state equals poseidonWidth2 (native and fallback). The policy and zkVM differential tests
 * cover TapeDigest and the commitment at their own sizes.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { mainSource, runCircom } from "../../src/build/circom";
import { SNARK_SCALAR_FIELD as R } from "../../src/field";
import { poseidon, poseidonWidth2, poseidonWidth2Fallback, spongeDigest } from "../../src/hash";
import { tapeDigest } from "../../src/tape";
import { buildDir, REPO_ROOT } from "../../src/paths";
import { TAG_METHOD, TAG_TAPE } from "../../src/tags";
import { loadHarness, type Harness } from "../helpers/circuit";

const SOURCE = "test/hash/sponge_circuit.circom";

/** Compiles the check circuit (once, cached by source mtime) into build/test/sponge-check. */
async function compile(): Promise<Harness> {
  const dir = path.join(buildDir("test"), "sponge-check");
  const name = "sponge_check";
  const r1cs = path.join(dir, `${name}.r1cs`);
  const sources = [SOURCE, "circuits/lib/sponge.circom", "circuits/lib/tags.circom"].map(
    (f) => fs.statSync(path.join(REPO_ROOT, f)).mtimeMs,
  );
  if (!fs.existsSync(r1cs) || fs.statSync(r1cs).mtimeMs < Math.max(...sources)) {
    fs.mkdirSync(dir, { recursive: true });
    const main = path.join(dir, `${name}.circom`);
    fs.writeFileSync(main, mainSource({ file: SOURCE, template: "SpongeCircuitCheck", params: [], publicInputs: [] }));
    await runCircom(main, dir, ["--O1"]);
  }
  return loadHarness({
    r1cs,
    sym: path.join(dir, `${name}.sym`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    witnessCalculator: path.join(dir, `${name}_js`, "witness_calculator.js"),
  });
}

describe("sponge circuit (circuits/lib/sponge.circom) == src/hash.ts", function () {
  let h: Harness;
  before(async () => {
    h = await compile();
  });

  it("POSEIDON2_CONST and SpongeDigest(TAG, L) give src/hash.ts's values", async () => {
    const words = (n: number, seed: bigint) => Array.from({ length: n }, (_, i) => (seed * BigInt(i + 1) ** 7n) % R);
    const a = words(1, 3n);
    const b = words(16, 5n);
    const tapeWords = (n: number, seed: bigint) =>
      Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 2n ** 32n - 1n : (seed * BigInt(i + 1) ** 5n) % 2n ** 32n));
    const c = tapeWords(49, 11n);
    const shortTape = tapeWords(3, 13n);
    const longTape = tapeWords(105, 17n);
    const blinding = R - 5n;
    const width2 = [R - 1n, 2n ** 250n + 3n];
    const w = await h.witness({
      a: a.map(String),
      b: b.map(String),
      c: c.map(String),
      shortTape: shortTape.map(String),
      longTape: longTape.map(String),
      blinding: blinding.toString(),
      width2: width2.map(String),
    });
    const consts = [
      poseidon([1n, 2n]),
      poseidon([0n, 0n]),
      poseidon([TAG_TAPE, 7n]),
      poseidon([TAG_METHOD, 123456789n]),
      poseidon([R - 1n, R - 2n]),
    ];
    expect(consts.map((_, i) => h.get(w, `main.consts[${i}]`))).to.deep.equal(consts);
    const digests = [
      spongeDigest(TAG_METHOD, a),
      spongeDigest(7n, b),
      tapeDigest(c, blinding),
      spongeDigest(TAG_TAPE, []),
      tapeDigest(shortTape, blinding),
      tapeDigest(longTape, blinding),
      tapeDigest(shortTape, 0n),
    ];
    expect(digests.map((_, i) => h.get(w, `main.digests[${i}]`))).to.deep.equal(digests);
    expect(h.get(w, "main.permuted")).to.equal(poseidonWidth2(width2[0], width2[1]));
    expect(h.get(w, "main.permuted")).to.equal(poseidonWidth2Fallback(width2[0], width2[1]));
    expect(h.failedConstraints(w)).to.deep.equal([]);
  });
});
