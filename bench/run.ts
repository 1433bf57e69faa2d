/**
 * `npm run bench [-- --quick] [-- --save] [-- --ptau FILE]`: builds the test-profile circuits, runs
 * every benchmark in its own process (so peak-memory figures are per bench, and never two at once),
 * then combines their JSON into one result (schema: bench/README.md) and prints each figure beside
 * its target. Each bench also runs alone (`npx ts-node bench/<name>.ts`, `npx hardhat run ...`).
 *   bench/policy.ts      policy.json       constraints, PLONK gates, prove time/memory, verifier gas (+ probes)
 *   bench/zkvm.ts        zkvm.json         constraints per step, Groth16 prove time/memory
 *   gas.test.ts          anchor-gas.json   attest with mock verifiers and the state update, N = test .. 256
 *   bench/attest.ts      attest-<p>.json   real proofs: attest gas, verifier calls, verifyProof gas
 *   bench/setup.ts       setup.json        zkey setups (and, full run, the dev ptau) timed
 *   bench/throughput.ts  throughput.json   the pipeline against the naive snarkjs-CLI flow
 *   full run only: bench/hash.ts, bench/plan.ts, bench/stream.ts, bench/audit.ts (and attest-production
 *   when a production build exists).
 * Per-bench files go to bench/results/runs/<stamp>/ and the combined result to
 * bench/results/runs/<stamp>.json (gitignored). Only --save replaces the committed results:
 * bench/results/latest.json, bench/results/<YYYY-MM-DD>.json and the tables of BENCHMARKS.md (a full
 * run also refreshes the per-bench files bench/results/<name>.json).
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { combine, formatMarkdown, renderTables, replaceGenerated, summaryLines, type RunInputs } from "./report";
import type { BenchmarkResult } from "../src/benchmark";

const ROOT = path.resolve(__dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results");

export const USAGE = `usage: npm run bench [-- [--quick] [--save] [--ptau FILE] [--resume RUN]]

Runs the benchmarks one after another (each in its own process) and prints every figure beside its
target. Results of the run go to bench/results/runs/<timestamp>.json (and its per-bench files to
bench/results/runs/<timestamp>/); the committed results are replaced only with --save.

options:
  --quick       6-12 minutes on 2 cores: the test profile (real proofs), gas at the production batch
                size and at 32..256 with mock verifiers, the policy and zkVM circuits at the production
                size (counts), setups of the test zkeys, pipeline vs naive on the test profile. Without
                it: also the dev ptau generation, more sizes, the production build when there is one,
                planning, hashing, streaming and the audit (45-60 minutes on 2 cores before tape v3,
                less since; the last run, with a production build, 46, its throughput bench 12).
  --save        write bench/results/latest.json, bench/results/<YYYY-MM-DD>.json and the tables of
                BENCHMARKS.md (a full run also refreshes bench/results/<bench>.json)
  --ptau FILE   a larger powers of tau for the policy bench (proves sizes the 2^13 dev ptau cannot set up)
                and the production zkey setups
  --resume RUN  finish an interrupted or failed run (RUN: its timestamp, e.g. 20261130-071500, or its
                folder bench/results/runs/<timestamp>): the benches it finished are kept, the others run;
                the run's own --quick and --ptau apply, and it is refused if a build changed since
  -h, --help    this text`;

export interface BenchArgs {
  help: boolean;
  quick: boolean;
  save: boolean;
  ptau?: string;
  resume?: string;
}

export class BenchUsageError extends Error {}

/** Parses the options after `npm run bench --`; throws BenchUsageError for anything else. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { help: false, quick: false, save: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") args.help = true;
    else if (a === "--quick") args.quick = true;
    else if (a === "--save") args.save = true;
    else if (a === "--ptau" || a.startsWith("--ptau=")) {
      const value = a === "--ptau" ? argv[++i] : a.slice("--ptau=".length);
      if (!value || value.startsWith("--")) throw new BenchUsageError("--ptau needs a file");
      args.ptau = value;
    } else if (a === "--resume" || a.startsWith("--resume=")) {
      const value = a === "--resume" ? argv[++i] : a.slice("--resume=".length);
      if (!value || value.startsWith("--")) throw new BenchUsageError("--resume needs a run (its timestamp or folder)");
      args.resume = value;
    } else throw new BenchUsageError(`unknown option "${a}"`);
  }
  return args;
}

/** A bench a resumed run does not run again: the run recorded it as finished and its output is there. */
export function keptFromRun(step: Step, record: RunRecord | undefined): boolean {
  return !!record && !!step.out && step.name in record.done && fs.existsSync(step.out);
}

/** `run.json` in a run folder: what a later `--resume` must find unchanged, and what is done. */
export interface RunRecord {
  version: 1;
  quick: boolean;
  ptau: string | null;
  date: string;
  /** sha256 of build/<profile>/manifest.json (null: no such build) when the run's benches began. */
  builds: { test: string | null; production: string | null };
  /** Benches finished with their output, with their wall seconds. */
  done: Record<string, number>;
}

export const RUN_RECORD = "run.json";

/** The folder of `--resume RUN`: a timestamp under resultsDir/runs, or a path. */
export function resumeDir(run: string, resultsDir: string): string {
  return /^\d{8}-\d{6}$/.test(run) ? path.join(resultsDir, "runs", run) : path.resolve(run);
}

/**
 * The record of the run `--resume` continues, checked: it exists, the command line's options do not
 * contradict its own, and build/production is the one its benches measured (build/test is checked after
 * the run's first step, the test build, which a resumed run also runs). Throws BenchUsageError.
 */
export function resumeRecord(runDir: string, args: BenchArgs, productionBuild: string | null): RunRecord {
  const file = path.join(runDir, RUN_RECORD);
  const shown = path.relative(ROOT, file);
  let record: RunRecord;
  try {
    record = readJson(file) as RunRecord;
  } catch {
    throw new BenchUsageError(
      `--resume ${args.resume}: no readable run record ${shown} (a run of an older version cannot be resumed)`,
    );
  }
  if (record?.version !== 1 || typeof record.done !== "object" || !record.builds || typeof record.date !== "string")
    throw new BenchUsageError(`--resume ${args.resume}: ${shown} is not a run record`);
  if (args.quick && !record.quick)
    throw new BenchUsageError(`--resume ${args.resume}: that run is a full run; drop --quick`);
  const ptau = args.ptau ? path.resolve(args.ptau) : null;
  if (ptau && ptau !== record.ptau)
    throw new BenchUsageError(`--resume ${args.resume}: that run used --ptau ${record.ptau ?? "(none)"}; drop --ptau`);
  if (productionBuild !== record.builds.production)
    throw new BenchUsageError(
      `--resume ${args.resume}: build/production changed since that run began (its benches measured another build); start a new run`,
    );
  return record;
}

export interface Step {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** The JSON the step writes (in the run folder); none for the build. */
  out?: string;
  /** Needed by the combined result (a failed extra is reported, the result still made). */
  core: boolean;
}

const TS_NODE = [require.resolve("ts-node/dist/bin.js"), "--transpile-only"];
const HARDHAT = require.resolve("hardhat/internal/cli/cli.js");

function registrySizes(): { testN: number; productionN: number } {
  const r = JSON.parse(fs.readFileSync(path.join(ROOT, "circuits", "registry.json"), "utf8"));
  return { testN: r.circuits.policy.params.test.N, productionN: r.circuits.policy.params.production.N };
}

/** The benches of a run, in order. */
export function plan(args: BenchArgs, runDir: string, hasProduction: boolean): Step[] {
  const { testN, productionN } = registrySizes();
  const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  const gasSizes = uniq([testN, productionN, 32, 64, 128, 256]);
  const policySizes = args.quick ? uniq([testN, productionN]) : uniq([testN, 4, productionN, 32]);
  const probes = args.quick ? [testN + 4, productionN + 4] : gasSizes.map((n) => n + 4);
  const out = (name: string) => path.join(runDir, `${name}.json`);
  const ptau = args.ptau ? ["--ptau", path.resolve(args.ptau)] : [];
  const steps: Step[] = [
    {
      name: "build (test profile)",
      args: [HARDHAT, "circuits:build", "--profile", "test"],
      core: true,
    },
    {
      name: "policy",
      args: [
        ...TS_NODE,
        "bench/policy.ts",
        "--sizes",
        policySizes.join(","),
        "--probe-public",
        probes.join(","),
        "--out",
        out("policy"),
        ...ptau,
      ],
      out: out("policy"),
      core: true,
    },
    { name: "zkvm", args: [...TS_NODE, "bench/zkvm.ts", "--out", out("zkvm")], out: out("zkvm"), core: true },
    {
      name: "anchor gas",
      args: [HARDHAT, "test", "test/anchor/gas.test.ts"],
      env: { BENCH_OUT: out("anchor-gas"), BENCH_SIZES: gasSizes.join(",") },
      out: out("anchor-gas"),
      core: true,
    },
    ...["test", ...(hasProduction && !args.quick ? ["production"] : [])].map((profile) => ({
      name: `attest (${profile})`,
      args: [HARDHAT, "run", "bench/attest.ts"],
      env: { ZKLA_BENCH_PROFILE: profile, ZKLA_BENCH_OUT: out(`attest-${profile}`) },
      out: out(`attest-${profile}`),
      core: true,
    })),
    {
      name: "setup",
      args: [...TS_NODE, "bench/setup.ts"],
      env: {
        ZKLA_BENCH_PTAU_POWERS: args.quick ? "" : "13",
        ZKLA_BENCH_OUT: out("setup"),
        ...(args.ptau ? { ZKLA_BENCH_PTAU: path.resolve(args.ptau) } : {}),
      },
      out: out("setup"),
      core: true,
    },
    {
      name: "throughput",
      args: [HARDHAT, "run", "bench/throughput.ts"],
      env: {
        ZKLA_BENCH_BATCHES: args.quick ? "4" : "8",
        ZKLA_BENCH_LOANS: args.quick ? "2" : "4",
        ...(args.quick ? { ZKLA_BENCH_PROFILE: "test" } : {}),
        ZKLA_BENCH_OUT: out("throughput"),
      },
      out: out("throughput"),
      core: true,
    },
  ];
  if (!args.quick)
    steps.push(
      ...["hash", "plan"].map((name) => ({
        name,
        args: [...TS_NODE, `bench/${name}.ts`],
        env: { ZKLA_BENCH_OUT: out(name) },
        out: out(name),
        core: false,
      })),
      ...["stream", "audit"].map((name) => ({
        name,
        args: [HARDHAT, "run", `bench/${name}.ts`],
        env: { ZKLA_BENCH_OUT: out(name) },
        out: out(name),
        core: false,
      })),
    );
  return steps;
}

const BUILD_CHANGED = "the test build changed during the run (another build ran)";

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

/** The inputs of combine() from a run folder. */
export function readRunInputs(runDir: string, args: BenchArgs, date: Date): RunInputs {
  const { testN, productionN } = registrySizes();
  const file = (name: string) => path.join(runDir, `${name}.json`);
  const attest: RunInputs["attest"] = {};
  for (const p of ["test", "production"])
    if (fs.existsSync(file(`attest-${p}`))) attest[p] = readJson(file(`attest-${p}`));
  const extra: Record<string, unknown> = {};
  for (const name of ["hash", "plan", "stream", "audit"]) {
    if (!fs.existsSync(file(name))) continue;
    const { machine: _m, notes: _n, ...figures } = readJson(file(name));
    extra[name] = figures;
  }
  return {
    mode: args.quick ? "quick" : "full",
    date,
    testBatchSize: testN,
    productionBatchSize: productionN,
    policy: readJson(file("policy")),
    zkvm: readJson(file("zkvm")),
    anchorGas: readJson(file("anchor-gas")),
    attest,
    setup: readJson(file("setup")),
    throughput: readJson(file("throughput")),
    extra,
  };
}

/**
 * Writes a run's result: always `<resultsDir>/runs/<stamp>.json`; with `save` also
 * `<resultsDir>/latest.json`, `<resultsDir>/<YYYY-MM-DD>.json` and the generated tables of `doc`
 * (created with a title when absent), and copies `perBench` files into `resultsDir`. Returns the
 * files written, the run file first.
 */
export async function writeResults(
  result: BenchmarkResult,
  o: { resultsDir: string; doc: string; stamp: string; save: boolean; perBench?: string[] },
): Promise<string[]> {
  const json = JSON.stringify(result, null, 2) + "\n";
  const runFile = path.join(o.resultsDir, "runs", `${o.stamp}.json`);
  fs.mkdirSync(path.dirname(runFile), { recursive: true });
  fs.writeFileSync(runFile, json);
  if (!o.save) return [runFile];
  const latest = path.join(o.resultsDir, "latest.json");
  const dated = path.join(o.resultsDir, `${result.date.slice(0, 10)}.json`);
  fs.writeFileSync(latest, json);
  fs.writeFileSync(dated, json);
  const before = fs.existsSync(o.doc) ? fs.readFileSync(o.doc, "utf8") : "# Benchmarks\n";
  fs.writeFileSync(o.doc, await formatMarkdown(replaceGenerated(before, renderTables(result)), o.doc));
  const copies = (o.perBench ?? []).map((f) => {
    const to = path.join(o.resultsDir, path.basename(f));
    fs.copyFileSync(f, to);
    return to;
  });
  return [runFile, latest, dated, o.doc, ...copies];
}

function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    console.error(`error bad-argument: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.ptau && !fs.existsSync(args.ptau)) {
    console.error(`error bad-argument: --ptau ${args.ptau}: no such file\n  pass the path of a .ptau file`);
    return 2;
  }
  // The benches read build/test as they go: a build another process makes meanwhile would mix two builds.
  const manifestHash = (profile: string): string | null => {
    const file = path.join(ROOT, "build", profile, "manifest.json");
    return fs.existsSync(file) ? crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex") : null;
  };
  const buildHash = () => manifestHash("test") ?? "";
  let date = new Date();
  let stamp = stampOf(date);
  let runDir = path.join(RESULTS, "runs", stamp);
  let record: RunRecord | undefined;
  if (args.resume) {
    runDir = resumeDir(args.resume, RESULTS);
    try {
      record = resumeRecord(runDir, args, manifestHash("production"));
    } catch (e) {
      if (!(e instanceof BenchUsageError)) throw e;
      console.error(`error bad-argument: ${e.message}\n  run \`npm run bench -- --help\` for the options`);
      return 2;
    }
    if (record.ptau && !fs.existsSync(record.ptau)) {
      console.error(
        `error bad-argument: --resume ${args.resume}: the run's --ptau ${record.ptau} is gone\n  put it back, or start a new run`,
      );
      return 2;
    }
    args = { ...args, quick: record.quick, ptau: record.ptau ?? undefined };
    date = new Date(record.date);
    stamp = path.basename(runDir);
  } else {
    fs.mkdirSync(runDir, { recursive: true });
  }
  const hasProduction = fs.existsSync(path.join(ROOT, "build", "production", "manifest.json"));
  const steps = plan(args, runDir, hasProduction);
  const ran: { name: string; seconds: number; ok: boolean }[] = [];
  const saveRecord = () => fs.writeFileSync(path.join(runDir, RUN_RECORD), JSON.stringify(record, null, 2) + "\n");
  let builtHash = "";
  for (const s of steps) {
    if (record && keptFromRun(s, record)) {
      const seconds = record.done[s.name];
      console.log(`\n=== bench: ${s.name}: kept from the run (${seconds} s) ===`);
      ran.push({ name: s.name, seconds, ok: true });
      continue;
    }
    console.log(`\n=== bench: ${s.name} ===`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, s.args, {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, REPORT_GAS: "0", ...s.env },
    });
    const ok = r.status === 0 && (!s.out || fs.existsSync(s.out));
    const seconds = Math.round((Date.now() - t0) / 1000);
    ran.push({ name: s.name, seconds, ok });
    console.log(`=== ${s.name}: ${ok ? "ok" : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds} s`);
    if (!ok && !s.out) {
      console.error(`error bench-failed: ${s.name} failed: nothing was measured\n  fix the build, then run again`);
      return 1;
    }
    if (!s.out) {
      builtHash = buildHash();
      if (!record) {
        record = {
          version: 1,
          quick: args.quick,
          ptau: args.ptau ? path.resolve(args.ptau) : null,
          date: date.toISOString(),
          builds: { test: builtHash, production: manifestHash("production") },
          done: {},
        };
      } else if (record.builds.test !== builtHash) {
        console.error(
          `error bench-failed: build/test changed since the run began (its benches measured another build)\n  start a new run`,
        );
        return 1;
      }
    } else if (ok && record) record.done[s.name] = seconds;
    if (record) saveRecord();
  }
  if (buildHash() !== builtHash) ran.push({ name: BUILD_CHANGED, seconds: 0, ok: false });
  const failed = ran.filter((r) => !r.ok);
  const coreFailed = steps.filter((s, k) => s.core && !ran[k].ok);
  if (coreFailed.length) {
    console.error(
      `error bench-failed: ${coreFailed.map((s) => s.name).join(", ")} failed: no combined result` +
        `\n  see the output above; the other benches' files are in ${path.relative(ROOT, runDir)}/`,
    );
    return 1;
  }
  const result = combine(readRunInputs(runDir, args, date));
  result.benches = ran;
  // A run with a failed bench is never saved: its result would mix this run with older files.
  const save = args.save && !failed.length;
  const written = await writeResults(result, {
    resultsDir: RESULTS,
    doc: path.join(ROOT, "BENCHMARKS.md"),
    stamp,
    save,
    perBench: args.quick ? [] : steps.flatMap((s) => (s.out ? [s.out] : [])),
  });
  console.log("");
  for (const line of summaryLines(result)) console.log(line);
  const shown = written.map((f) => path.relative(ROOT, f));
  if (failed.length) {
    console.error(
      `error bench-failed: ${failed.map((r) => (r.name === BUILD_CHANGED ? r.name : `${r.name} failed`)).join("; ")}: results not saved` +
        `\n  the run's result is in ${shown[0]}; fix the failure and run again`,
    );
    return 1;
  }
  if (!save) console.log(`\nwrote ${shown[0]} (the committed results are unchanged: add --save to replace them)`);
  else console.log(`\nsaved ${shown.join(", ")}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(`error unexpected: ${(e as Error).message}\n  run the failing bench alone to see its stack trace`);
      process.exitCode = 1;
    },
  );
}
