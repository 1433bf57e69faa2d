/**
 * Shared helpers of the zkVM tests: artifacts (the registry's test build and a small fuzz instance
 * compiled here), a seeded random-program generator, and R1CS introspection for forged witnesses.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { compileTemplate } from "../../src/build/circom";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import { circuitPaths, REPO_ROOT, type CircuitPaths } from "../../src/paths";
import { mulberry32 } from "../../src/prng";
import { encode, MAX_IMM, Op, type ZkvmLimits } from "../../src/zkvm";
import { loadHarness, type Harness } from "../helpers/circuit";

export const ZKVM_PUBLIC_INPUTS = ["methodId", "tapeDigest", "params", "journalLen", "journal"];
/** Small instance for the bulk of the differential fuzz (witnesses are ~3x cheaper than the test size). */
export const FUZZ_LIMITS: ZkvmLimits = { T: 12, P: 8, L: 4, K: 2, J: 2 };

const CIRCUIT_SOURCES = ["circuits/zkvm/zkvm.circom", "circuits/lib/sponge.circom", "circuits/lib/tags.circom"];

function sourceHash(extra: string): string {
  const h = crypto.createHash("sha256").update(extra);
  for (const f of CIRCUIT_SOURCES) h.update(fs.readFileSync(path.join(REPO_ROOT, f)));
  return h.digest("hex");
}

/** Compiles ZkVM(limits) into build/test/<name>/ unless an up-to-date compilation is there. */
export async function compiledZkvm(limits: ZkvmLimits, name: string): Promise<CircuitPaths> {
  const dir = path.join(REPO_ROOT, "build", "test", name);
  const paths: CircuitPaths = {
    dir,
    r1cs: path.join(dir, "zkvm.r1cs"),
    sym: path.join(dir, "zkvm.sym"),
    wasm: path.join(dir, "zkvm_js", "zkvm.wasm"),
    witnessCalculator: path.join(dir, "zkvm_js", "witness_calculator.js"),
    zkey: path.join(dir, "zkvm.zkey"),
    vkey: path.join(dir, "zkvm.vkey.json"),
  };
  const params = [limits.T, limits.P, limits.L, limits.K, limits.J];
  const stamp = path.join(dir, "source.sha256");
  const hash = sourceHash(params.join(","));
  if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash && fs.existsSync(paths.wasm))) {
    await compileTemplate(
      { file: "circuits/zkvm/zkvm.circom", template: "ZkVM", params, publicInputs: ZKVM_PUBLIC_INPUTS },
      "zkvm",
      dir,
    );
    fs.writeFileSync(stamp, hash);
  }
  return paths;
}

/** A harness of ReadsChallenge(T) alone (the fingerprint challenge), compiled into build/test/reads-challenge-<T>/. */
export async function readsChallengeHarness(T: number): Promise<Harness> {
  const dir = path.join(REPO_ROOT, "build", "test", `reads-challenge-${T}`);
  const paths = {
    r1cs: path.join(dir, "challenge.r1cs"),
    sym: path.join(dir, "challenge.sym"),
    wasm: path.join(dir, "challenge_js", "challenge.wasm"),
    witnessCalculator: path.join(dir, "challenge_js", "witness_calculator.js"),
  };
  const stamp = path.join(dir, "source.sha256");
  const hash = sourceHash(`reads-challenge:${T}`);
  if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash && fs.existsSync(paths.wasm))) {
    await compileTemplate(
      { file: "circuits/zkvm/zkvm.circom", template: "ReadsChallenge", params: [T], publicInputs: [] },
      "challenge",
      dir,
    );
    fs.writeFileSync(stamp, hash);
  }
  return loadHarness(paths);
}

/** The registry's test-profile build (npx hardhat circuits:build --profile test, run by npm test). */
export function testBuildPaths(withKeys = false): CircuitPaths {
  const paths = circuitPaths("zkvm", "test");
  for (const f of [paths.r1cs, paths.sym, paths.wasm, ...(withKeys ? [paths.zkey, paths.vkey] : [])]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npx hardhat circuits:build --profile test`);
  }
  return paths;
}

export function testHarness(): Promise<Harness> {
  return loadHarness(testBuildPaths());
}

/** Seeded generator (src/prng.ts) so every fuzz failure is reproducible from its seed. */
export const rng = mulberry32;

export function randomField(rand: () => number): bigint {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  return x % SNARK_SCALAR_FIELD;
}

/** Mostly comparable values (< 2^32), sometimes full field elements or values just past 2^32. */
function randomValue(rand: () => number): bigint {
  const r = rand();
  if (r < 0.45) return BigInt(Math.floor(rand() * 16));
  if (r < 0.8) return BigInt(Math.floor(rand() * 2 ** 32));
  if (r < 0.9) return 2n ** 32n + BigInt(Math.floor(rand() * 4)) - 1n;
  return randomField(rand);
}

function pick<T>(rand: () => number, weighted: [T, number][]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [v, w] of weighted) if ((x -= w) < 0) return v;
  return weighted[weighted.length - 1][0];
}

/** A tape word (32 bits, as the zkVM requires): mostly small, some large, the limit 2^32 - 1 now and then. */
function randomTapeWord(rand: () => number): bigint {
  const r = rand();
  if (r < 0.5) return BigInt(Math.floor(rand() * 16));
  if (r < 0.9) return BigInt(Math.floor(rand() * 2 ** 32));
  return 2n ** 32n - 1n;
}

export function randomTape(rand: () => number, limits: ZkvmLimits): bigint[] {
  return Array.from({ length: limits.L }, () => randomTapeWord(rand));
}

export interface RandomRun {
  program: bigint[];
  tape: bigint[];
  params: bigint[];
}

/**
 * A random run: programs mix every opcode (mostly forward branches, a final HALT most of the time),
 * with occasional raw words (opcode 0, undecodable words, field elements), out-of-range parameter
 * indexes and targets, loops, too many READs/WRITEs and wide comparison operands (from parameters
 * and arithmetic: tapes hold 32-bit words, drawn by randomTape), so that valid
 * and invalid runs of every kind occur.
 */
export function randomRun(rand: () => number, limits: ZkvmLimits, tapes?: readonly bigint[][]): RandomRun {
  const n = 1 + Math.floor(rand() * limits.P);
  const reg = () => (rand() < 0.8 ? 1 + Math.floor(rand() * 4) : Math.floor(rand() * 8));
  const target = (i: number) => (rand() < 0.8 ? i + 1 + Math.floor(rand() * (n - i)) : Math.floor(rand() * (n + 2)));
  const program: bigint[] = [];
  for (let i = 0; i < n; i++) {
    if (i === n - 1 && n > 1 && rand() < 0.06) {
      program.push(encode({ op: Op.JMP, rd: 0, rs1: 0, rs2: 0, imm: 0 })); // a loop: runs out of tape, journal or steps
      continue;
    }
    if (i === n - 1 && rand() < 0.85) {
      program.push(encode({ op: Op.HALT, rd: 0, rs1: 0, rs2: 0, imm: 0 }));
      continue;
    }
    const kind = pick<string>(rand, [
      ["ADDI", 3],
      ["ADD", 1],
      ["SUB", 1],
      ["MUL", 1],
      ["LT", 1.5],
      ["LE", 1.5],
      ["EQ", 1],
      ["JMP", 0.4],
      ["BEQ", 1],
      ["BNE", 1],
      ["READ", 3],
      // Parameters and arithmetic are where wide comparison operands come from (tape words are 32-bit).
      ["PUB", 2],
      ["WRITE", 2],
      ["ASSERT", 0.6],
      ["HALT", 0.4],
      ["RAW", 0.25],
    ]);
    if (kind === "RAW") {
      program.push(
        pick<() => bigint>(rand, [
          [() => 0n, 1],
          [() => BigInt(Math.floor(rand() * 2 ** 29)), 1],
          [() => 2n ** 29n + BigInt(Math.floor(rand() * 2 ** 20)), 1],
          [() => randomField(rand), 1],
        ])(),
      );
      continue;
    }
    const op = Op[kind as keyof typeof Op];
    const f = { op, rd: 0, rs1: 0, rs2: 0, imm: 0 };
    if (["ADD", "SUB", "MUL", "LT", "LE", "EQ"].includes(kind)) Object.assign(f, { rd: reg(), rs1: reg(), rs2: reg() });
    if (kind === "ADDI")
      Object.assign(f, {
        rd: reg(),
        rs1: reg(),
        imm: rand() < 0.7 ? Math.floor(rand() * 20) : Math.floor(rand() * (MAX_IMM + 1)),
      });
    if (kind === "JMP") f.imm = target(i);
    if (kind === "BEQ" || kind === "BNE") Object.assign(f, { rs1: reg(), rs2: reg(), imm: target(i) });
    if (kind === "READ") f.rd = reg();
    if (kind === "PUB")
      Object.assign(f, {
        rd: reg(),
        rs1: rand() < 0.85 ? Math.floor(rand() * limits.K) : limits.K + Math.floor(rand() * (8 - limits.K)),
      });
    if (kind === "WRITE") f.rs1 = reg();
    if (kind === "ASSERT") Object.assign(f, { rs1: reg(), rs2: rand() < 0.5 ? 0 : reg() });
    // Non-canonical encodings (unused fields set) are valid instructions too: exercise them sometimes.
    if (rand() < 0.05) Object.assign(f, { rd: Math.floor(rand() * 8), rs2: Math.floor(rand() * 8) });
    program.push(encode(f));
  }
  const tape = tapes ? tapes[Math.floor(rand() * tapes.length)] : randomTape(rand, limits);
  const params = Array.from({ length: limits.K }, () => randomValue(rand));
  return { program, tape, params };
}

// r1csfile ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readR1cs } = require("r1csfile") as {
  readR1cs(
    file: string,
    opts: object,
  ): Promise<{ constraints: Record<string, unknown>[][]; curve?: { terminate?: () => Promise<void> } }>;
};

const touchCache = new Map<string, Promise<Map<number, number[]>>>();

/** signal witness index -> indexes of the R1CS constraints that mention it. */
export function constraintIndex(r1csFile: string): Promise<Map<number, number[]>> {
  let p = touchCache.get(r1csFile);
  if (!p) {
    p = (async () => {
      const r1cs = await readR1cs(r1csFile, { loadConstraints: true, loadMap: false, singleThread: true });
      if (typeof r1cs.curve?.terminate === "function") await r1cs.curve.terminate();
      const bySignal = new Map<number, number[]>();
      r1cs.constraints.forEach((c, i) => {
        const seen = new Set<number>();
        for (const lc of c) for (const k of Object.keys(lc)) seen.add(Number(k));
        for (const s of seen) {
          const list = bySignal.get(s) ?? [];
          list.push(i);
          bySignal.set(s, list);
        }
      });
      return bySignal;
    })();
    touchCache.set(r1csFile, p);
  }
  return p;
}
