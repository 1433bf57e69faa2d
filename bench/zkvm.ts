/**
 * zkVM benchmark: `npx ts-node bench/zkvm.ts [--out FILE]`.
 *
 * - R1CS constraints of ZkVM(T, P, L, K, J) at the registry's test and production sizes, split into
 *   the fixed part (method ID and tape digest: measured with T = 1) and the per-step cost (total
 *   minus fixed, over T; also the marginal cost of one more step at the test size).
 * - Groth16 prove time and the prover's peak memory (child process max RSS) for the loan guest on a
 *   full batch at the test size, with the build's proving key (npx hardhat circuits:build --profile test).
 *   The production size is proven only when a production build exists (it needs `--ptau` with a
 *   2^18 file at N = 88); otherwise it reports "not measured".
 * - The loan guest's step count per batch size (N = 2, 4, 8, 16, 32), from the reference emulator.
 * Saves JSON to bench/results/zkvm.json.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { machineInfo } from "./machine";
import { compileTemplate } from "../src/build/circom";
import { circuitPaths, manifestPath, REPO_ROOT } from "../src/paths";
import { batchSalt, batchTape, tapeBatchSize, tapeLength } from "../src/tape";
import { emulate, loanGuest, loanGuestParams, zkvmInput, zkvmParams, type ZkvmLimits } from "../src/zkvm";

const SOURCES = ["circuits/zkvm/zkvm.circom", "circuits/lib/sponge.circom", "circuits/lib/tags.circom"];
const BENCH_DIR = path.join(REPO_ROOT, "build", "bench", "zkvm");

function log(line: string): void {
  process.stdout.write(line + "\n");
}

/** Constraint count of a compiled instance (cached by source hash under build/bench/zkvm/). */
async function constraints(l: ZkvmLimits): Promise<{ constraints: number; wires: number }> {
  const params = [l.T, l.P, l.L, l.K, l.J];
  const h = crypto.createHash("sha256").update(params.join(","));
  for (const f of SOURCES) h.update(fs.readFileSync(path.join(REPO_ROOT, f)));
  const dir = path.join(BENCH_DIR, `T${l.T}_P${l.P}_L${l.L}_K${l.K}_J${l.J}`);
  const stamp = path.join(dir, "counts.json");
  const hash = h.digest("hex");
  if (fs.existsSync(stamp)) {
    const cached = JSON.parse(fs.readFileSync(stamp, "utf8"));
    if (cached.hash === hash) return cached.counts;
  }
  const { stdout } = await compileTemplate(
    {
      file: "circuits/zkvm/zkvm.circom",
      template: "ZkVM",
      params,
      publicInputs: ["methodId", "tapeDigest", "params", "journalLen", "journal"],
    },
    "zkvm",
    dir,
  );
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  const counts = {
    constraints: num(/non-linear constraints: (\d+)/) + num(/(?<!non-)linear constraints: (\d+)/),
    wires: num(/wires: (\d+)/),
  };
  fs.writeFileSync(stamp, JSON.stringify({ hash, counts }));
  return counts;
}

/**
 * The profile's proving key when the build made one for exactly these parameters (a production
 * build needs `--ptau` with a large enough file), with the ptau it was set up from; else why not.
 */
function builtKey(
  profile: "test" | "production",
  l: ZkvmLimits,
): { zkey: string; ptau: unknown } | { missing: string } {
  const paths = circuitPaths("zkvm", profile);
  const file = manifestPath(profile);
  if (!fs.existsSync(paths.zkey) || !fs.existsSync(file)) {
    return {
      missing: `no ${profile} build: npx hardhat circuits:build --profile ${profile}${profile === "production" ? " --ptau <file>" : ""}`,
    };
  }
  const entry = JSON.parse(fs.readFileSync(file, "utf8")).circuits?.zkvm;
  const same = entry?.params && (Object.keys(l) as (keyof ZkvmLimits)[]).every((k) => entry.params[k] === l[k]);
  if (!entry?.zkeyHash || !same) {
    return { missing: `the ${profile} build is stale (its parameters are not the registry's): rebuild it` };
  }
  return { zkey: paths.zkey, ptau: entry.ptau };
}

/** Groth16 fullProve in a child process: wall and CPU time of the prove and the child's max RSS. */
function proveInChild(input: unknown, wasm: string, zkey: string): { ms: number; cpuMs: number; peakRssMB: number } {
  const inputFile = path.join(os.tmpdir(), `zkvm-bench-input-${process.pid}.json`);
  fs.writeFileSync(inputFile, JSON.stringify(input));
  const script = `
    const snarkjs = require("snarkjs");
    (async () => {
      const input = JSON.parse(require("fs").readFileSync(${JSON.stringify(inputFile)}, "utf8"));
      const t0 = Date.now();
      const c = process.cpuUsage();
      await snarkjs.groth16.fullProve(input, ${JSON.stringify(wasm)}, ${JSON.stringify(zkey)});
      const ms = Date.now() - t0;
      const cpu = process.cpuUsage(c);
      if (globalThis.curve_bn128) await globalThis.curve_bn128.terminate();
      process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKB: process.resourceUsage().maxRSS }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
  fs.rmSync(inputFile, { force: true });
  if (r.status !== 0) throw new Error(`prover child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return { ms: out.ms, cpuMs: Math.round(out.cpuMs), peakRssMB: Math.round(out.maxRssKB / 1024) };
}

function fullBatchRun(l: ZkvmLimits) {
  const n = tapeBatchSize(l.L);
  if (n === undefined) throw new Error(`a ${l.L}-word tape holds no batch`);
  const batch = Array.from({ length: n }, (_, i) => ({
    applicantId: BigInt(i + 1),
    score: BigInt(600 + i),
    salt: BigInt(1000 + i),
  }));
  const tape = batchTape(batch, n);
  const params = loanGuestParams({ domain: 1n, prevRoot: 2n, nonce: 3n, threshold: 605n });
  return { tape, params, blinding: batchSalt(batch) };
}

async function main(): Promise<void> {
  const outIdx = process.argv.indexOf("--out");
  const outFile =
    outIdx > 0 ? path.resolve(process.argv[outIdx + 1]) : path.join(REPO_ROOT, "bench", "results", "zkvm.json");
  const guest = loanGuest();
  const profiles: Record<string, unknown> = {};

  for (const profile of ["test", "production"] as const) {
    const l = zkvmParams(profile);
    log(`[${profile}] ZkVM(T=${l.T}, P=${l.P}, L=${l.L}, K=${l.K}, J=${l.J}): compiling...`);
    const total = await constraints(l);
    const fixed = await constraints({ ...l, T: 1 });
    const oneStep = fixed.constraints; // T = 1: the fixed part (method ID, tape digest, fingerprint) + one step
    const perStepAvg = (total.constraints - oneStep) / (l.T - 1);
    const power = Math.ceil(Math.log2(total.constraints + 10 + 1));
    const entry: Record<string, unknown> = {
      params: l,
      constraints: total.constraints,
      wires: total.wires,
      constraintsT1: oneStep,
      perStepAverage: Math.round(perStepAvg * 10) / 10,
      ptauPowerNeeded: power,
    };
    // The marginal cost of one more step, at both sizes (npm run bench reports the production one).
    const marginal = await constraints({ ...l, T: l.T + 1 });
    entry.perStepMarginal = marginal.constraints - total.constraints;
    const paths = circuitPaths("zkvm", profile);
    const { tape, params, blinding } = fullBatchRun(l);
    const run = emulate(guest.words, tape, params, l);
    if (!run.ok) throw new Error(`loan guest failed on a full batch: ${run.reason}`);
    const key = builtKey(profile, l);
    if ("zkey" in key) {
      log(`[${profile}] proving the loan guest on a full batch (${run.steps} steps)...`);
      entry.prove = {
        ...proveInChild(zkvmInput(guest.words, tape, params, l, run, {}, blinding), paths.wasm, key.zkey),
        loadAvg1m: os.loadavg()[0],
        ptau: key.ptau,
      };
    } else {
      entry.prove = { notMeasured: `needs a 2^${power} ptau and a ${profile} build (${key.missing})` };
    }
    profiles[profile] = entry;
    log(`[${profile}] ${JSON.stringify(entry)}`);
  }

  const steps = [2, 4, 8, 16, 32].map((n) => {
    const l: ZkvmLimits = { T: 8 * n + 8, P: 16, L: tapeLength(n), K: 4, J: 2 };
    const { tape, params } = fullBatchRun(l);
    const run = emulate(guest.words, tape, params, l);
    if (!run.ok) throw new Error(`loan guest failed for N = ${n}: ${run.reason}`);
    return { N: n, steps: run.steps, tapeWords: l.L };
  });
  log(`loan guest steps per batch size: ${steps.map((s) => `N=${s.N}: ${s.steps}`).join(", ")}`);

  const result = {
    benchmark: "zkvm",
    date: new Date().toISOString(),
    machine: machineInfo(),
    loanGuest: { methodId: guest.methodId.toString(), words: guest.words.length, stepsPerBatchSize: steps },
    profiles,
    perStepTarget: 300,
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + "\n");
  log(`saved ${path.relative(REPO_ROOT, outFile)}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
