/**
 * The project's snarkjs patch (patches/README.md): the PLONK prover computes the public-input
 * polynomial's 4n evaluations with one ifft and one fft instead of nPublic multiply-adds per point,
 * and MulZ's constants once per field (every PLONK proof of the suite runs through both).
 * The patch is installed (library and CLI), and proofs of a circuit with 41 public signals, some of
 * them near r, verify; a wrong public-input term would leave T(X) not divisible by Z_H(X) and the
 * proof would not verify. Changing one of four public signals (first, second, middle, last) makes
 * verification fail.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { mainSource, runCircom } from "../src/build/circom";
import { devPtauPath, DEV_PTAU_POWER } from "../src/build/ptau";
import { SNARK_SCALAR_FIELD as R } from "../src/field";
import { buildDir } from "../src/paths";
import { snarkjsPlonkPatched, terminateCurves, verifyWithVkey } from "../src/snark";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs");

const K = 40; // public inputs; the probe adds one public output

describe("snarkjs PLONK prover patch", function () {
  this.timeout(180_000);

  after(terminateCurves);

  it("is applied to the installed snarkjs (library and CLI)", () => {
    expect(snarkjsPlonkPatched(), "snarkjs is unpatched: run npx patch-package (patches/README.md)").to.equal(true);
  });

  it("proves a circuit with 41 public signals, some near r; changing any of four of them is rejected", async () => {
    const dir = path.join(buildDir("test"), "plonk-patch");
    fs.mkdirSync(dir, { recursive: true });
    const main = path.join(dir, "probe.circom");
    fs.writeFileSync(
      main,
      mainSource({
        file: "circuits/policy/public_signals_probe.circom",
        template: "PublicSignalsProbe",
        params: [K],
        publicInputs: ["in"],
      }),
    );
    await runCircom(main, dir, ["--O1"]);
    const zkey = { type: "mem" } as { type: "mem"; data?: Uint8Array };
    await snarkjs.plonk.setup(path.join(dir, "probe.r1cs"), devPtauPath(DEV_PTAU_POWER), zkey);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);

    // Large inputs (r - 1, r - k, 2^253 + k) so that every public-input term is a full field element.
    const inputs = Array.from({ length: K }, (_, k) =>
      k % 3 === 0 ? R - 1n - BigInt(k) : k % 3 === 1 ? (1n << 253n) + BigInt(k) : BigInt(k + 2),
    );
    const { proof, publicSignals } = await snarkjs.plonk.fullProve(
      { in: inputs.map(String) },
      path.join(dir, "probe_js", "probe.wasm"),
      zkey,
    );
    const signals = (publicSignals as string[]).map(BigInt);
    const expectedOut = inputs.reduce((acc, x) => (acc + x * x) % R, 0n);
    expect(signals).to.deep.equal([expectedOut, ...inputs]);
    expect(await verifyWithVkey("plonk", vkey, signals, proof)).to.equal(true);

    for (const i of [0, 1, 20, K]) {
      const changed = signals.map((s, j) => (j === i ? (s + 1n) % R : s));
      expect(await verifyWithVkey("plonk", vkey, changed, proof), `signal ${i} changed`).to.equal(false);
    }
  });
});
