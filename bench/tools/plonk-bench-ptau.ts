/**
 * BENCH ONLY, never for a real setup: `npx ts-node bench/tools/plonk-bench-ptau.ts <phase1.ptau> <out.ptau> <k>`.
 *
 * snarkjs `powersoftau prepare phase2` computes Lagrange bases for every power 0..p+1 of four
 * sections (tauG1, tauG2, alphaTauG1, betaTauG1); for 2^17 that is hours on 2 cores. `plonk setup`
 * reads only section 12 (tauG1 in Lagrange form) at the circuit's own domain size 2^k, plus
 * sections 2 and 3. This tool writes a ptau with sections 1-7 copied from an unprepared (phase-1)
 * ptau and a section 12 whose level k is computed exactly as snarkjs does (ffjavascript
 * G1.lagrangeEvaluations of the first 2^k tauG1 points) and whose other levels are zero bytes.
 *
 * Such a file sets up, proves and verifies correctly for circuits whose PLONK domain is exactly
 * 2^k and gives garbage for any other size; Groth16 setup refuses it (no sections 13-15). It exists
 * so that `bench/policy.ts --ptau <out> --sizes 32` can measure the N = 32 prover here; the build
 * (src/build) never accepts it for a production profile because its hash is not published.
 */
import fs from "node:fs";
// ffjavascript ships no type declarations; this is the part of its curve API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getCurveFromName } = require("ffjavascript") as {
  getCurveFromName(
    name: string,
    singleThread?: boolean,
  ): Promise<{
    G1: {
      lagrangeEvaluations(
        buff: Uint8Array,
        inType: string,
        outType: string,
        logger?: unknown,
        txt?: string,
      ): Promise<Uint8Array>;
    };
    terminate(): Promise<void>;
  }>;
};

interface Section {
  type: number;
  offset: number;
  size: number;
}

function readSections(buf: Buffer): { version: number; sections: Map<number, Section> } {
  if (buf.toString("ascii", 0, 4) !== "ptau") throw new Error("not a .ptau file (bad magic)");
  const version = buf.readUInt32LE(4);
  const n = buf.readUInt32LE(8);
  const sections = new Map<number, Section>();
  let pos = 12;
  for (let i = 0; i < n; i++) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    if (sections.has(type)) throw new Error(`section ${type} appears twice`);
    sections.set(type, { type, offset: pos + 12, size });
    pos += 12 + size;
  }
  return { version, sections };
}

function sectionHeader(type: number, size: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(type, 0);
  h.writeBigUInt64LE(BigInt(size), 4);
  return h;
}

async function main(): Promise<void> {
  const [input, output, kStr] = process.argv.slice(2);
  const k = Number(kStr);
  if (!input || !output || !Number.isInteger(k) || k < 3) {
    throw new Error("usage: plonk-bench-ptau.ts <phase1.ptau> <out.ptau> <k (the PLONK domain power)>");
  }
  const buf = fs.readFileSync(input);
  const { version, sections } = readSections(buf);
  const header = sections.get(1)!;
  const n8 = buf.readUInt32LE(header.offset);
  const power = buf.readUInt32LE(header.offset + 4 + n8);
  if (n8 !== 32) throw new Error(`expected a bn128 ptau (n8 = 32), got n8 = ${n8}`);
  if (k > power) throw new Error(`the ptau has power ${power}; level ${k} needs power >= ${k}`);
  if (sections.has(12)) throw new Error("the input is already prepared; use it directly");

  const curve = await getCurveFromName("bn128");
  try {
    const sG1 = 64;
    const tau = sections.get(2)!;
    const points = buf.subarray(tau.offset, tau.offset + 2 ** k * sG1);
    const t0 = Date.now();
    const lagrange = await curve.G1.lagrangeEvaluations(new Uint8Array(points), "affine", "affine", undefined, "tauG1");
    process.stderr.write(`tauG1 level ${k}: ${2 ** k} points in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const out = fs.openSync(output, "w");
    const head = Buffer.alloc(12);
    head.write("ptau", 0, "ascii");
    head.writeUInt32LE(version, 4);
    head.writeUInt32LE(8, 8); // sections 1-7 and 12
    fs.writeSync(out, head);
    for (let id = 1; id <= 7; id++) {
      const s = sections.get(id);
      if (!s) throw new Error(`section ${id} is missing from ${input}`);
      fs.writeSync(out, sectionHeader(id, s.size));
      fs.writeSync(out, buf.subarray(s.offset, s.offset + s.size));
    }
    // Section 12: levels 0..power+1 of 2^p points each, as snarkjs lays them out.
    let size = 0;
    for (let p = 0; p <= power + 1; p++) size += 2 ** p * sG1;
    fs.writeSync(out, sectionHeader(12, size));
    for (let p = 0; p <= power + 1; p++) {
      if (p === k) fs.writeSync(out, lagrange);
      else fs.writeSync(out, Buffer.alloc(2 ** p * sG1));
    }
    fs.closeSync(out);
  } finally {
    await curve.terminate();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
