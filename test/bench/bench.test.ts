/**
 * `npm run bench` without running a bench: its options (bench/run.ts), the run plan --quick makes,
 * what --save writes (to a temporary folder), the BENCHMARKS.md tables with their targets, and the
 * schema of the committed bench/results/latest.json. Results are made up here: no figure is asserted.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BenchUsageError,
  keptFromRun,
  parseBenchArgs,
  plan,
  resumeDir,
  resumeRecord,
  RUN_RECORD,
  USAGE,
  writeResults,
  type RunRecord,
} from "../../bench/run";
import { BEGIN_MARKER, END_MARKER, renderTables, replaceGenerated, summaryLines } from "../../bench/report";
import {
  evaluateTargets,
  LATEST_BENCHMARK,
  proofCpuSecondsPerDecision,
  TARGETS,
  type BenchmarkResult,
} from "../../src/benchmark";
import { policyParams } from "../../src/policy";
import { REPO_ROOT } from "../../src/paths";

const TS_NODE = [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "bench/run.ts"];

/** A made-up result: every target of `meet` is met, the others missed. */
function madeUp(meet: Set<string>): BenchmarkResult {
  const N = policyParams("production").batchSize;
  const n0 = policyParams("test").batchSize;
  const gas = (total: number, source: "real proofs" | "mock verifiers") => ({
    total,
    policyVerifier: Math.round(total * 0.4),
    zkvmVerifier: Math.round(total * 0.3),
    stateUpdate: Math.round(total * 0.1),
    calldata: Math.round(total * 0.1),
    other: total - Math.round(total * 0.4) - Math.round(total * 0.3) - 2 * Math.round(total * 0.1),
    source,
  });
  const ratio = (id: string) => (meet.has(id) ? TARGETS.verifierOverFloor - 0.01 : TARGETS.verifierOverFloor + 0.2);
  return {
    schema: 1,
    mode: "quick",
    date: "2030-01-02T03:04:05.000Z",
    productionBatchSize: N,
    testBatchSize: n0,
    gasPerDecision: {
      [n0]: gas(TARGETS.gasPerDecision * 30 + 1, "real proofs"),
      [N]: gas(meet.has("gasPerDecision") ? TARGETS.gasPerDecision - 1 : TARGETS.gasPerDecision + 1, "mock verifiers"),
    },
    verifierGas: {
      policy: {
        measured: 1000,
        floor: 900,
        calldata: 100,
        publicInputs: n0 + 4,
        ratio: ratio("policyVerifier"),
        profile: "test",
      },
      zkvm: {
        measured: 1000,
        floor: 900,
        calldata: 100,
        publicInputs: 9,
        ratio: ratio("zkvmVerifier"),
        profile: "test",
      },
    },
    throughput: {
      pipelineDecisionsPerSec: 1,
      naiveDecisionsPerSec: 0.5,
      speedupVsNaive: meet.has("speedupVsNaive") ? TARGETS.speedupVsNaive : TARGETS.speedupVsNaive - 0.5,
      naiveGasPerDecision: 600_000,
    },
    policy: {
      [n0]: { r1cs: 10, plonkGates: 20, gatesPerSlot: 5, gatesPerSlotAverage: 10, proveSeconds: 1.5, peakRssMB: 100 },
      [N]: {
        r1cs: 30,
        plonkGates: 60,
        gatesPerSlot: meet.has("gatesPerSlot") ? TARGETS.gatesPerSlot : TARGETS.gatesPerSlot + 1,
        gatesPerSlotAverage: 4,
        proveSeconds: null,
        // With the zkVM's below: exactly 2 CPU-seconds per decision when met, 2 + 1/N when missed.
        proveCpuSeconds: 1.5 * N,
        peakRssMB: null,
      },
    },
    zkvm: {
      constraintsPerStep: meet.has("constraintsPerStep")
        ? TARGETS.constraintsPerStep
        : TARGETS.constraintsPerStep + 0.1,
      stepSlope: 7,
      productionT: 100,
      sizes: {
        "20": { constraints: 8000, proveSeconds: 2, peakRssMB: 150 },
        "100": {
          constraints: 30_010,
          proveSeconds: null,
          proveCpuSeconds: 0.5 * N + (meet.has("proofCpuSecondsPerDecision") ? 0 : 1),
          peakRssMB: null,
        },
      },
    },
    setup: {
      ptau: { "13": { seconds: null, note: "not timed" } },
      zkeys: { "test/policy": { seconds: 3, proofSystem: "plonk", steps: { "plonk-setup": 3 } } },
    },
    machine: { cores: 2, memoryGB: 4, node: "v20.0.0", date: "2030-01-02T03:04:05.000Z" },
    notes: ["a made-up note"],
  };
}

const ALL = [
  "gasPerDecision",
  "policyVerifier",
  "zkvmVerifier",
  "speedupVsNaive",
  "constraintsPerStep",
  "gatesPerSlot",
  "proofCpuSecondsPerDecision",
];

describe("npm run bench", function () {
  describe("options", () => {
    it("parses --quick, --save and --ptau; --help asks for the usage", () => {
      expect(parseBenchArgs([])).to.deep.equal({ help: false, quick: false, save: false });
      expect(parseBenchArgs(["--quick", "--save"])).to.include({ quick: true, save: true, help: false });
      expect(parseBenchArgs(["--ptau", "big.ptau"]).ptau).to.equal("big.ptau");
      expect(parseBenchArgs(["--ptau=big.ptau"]).ptau).to.equal("big.ptau");
      expect(parseBenchArgs(["-h"]).help).to.equal(true);
      expect(parseBenchArgs(["--help"]).help).to.equal(true);
    });

    it("refuses an unknown option and --ptau without a file", () => {
      expect(() => parseBenchArgs(["--fast"])).to.throw(BenchUsageError, 'unknown option "--fast"');
      expect(() => parseBenchArgs(["--ptau"])).to.throw(BenchUsageError, "--ptau needs a file");
      expect(() => parseBenchArgs(["--ptau", "--save"])).to.throw(BenchUsageError, "--ptau needs a file");
    });

    it("--help prints the usage and exits 0; an unknown option exits 2 with the usage, before any bench", () => {
      const help = spawnSync(process.execPath, [...TS_NODE, "--help"], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout.trim()).to.equal(USAGE);
      const bad = spawnSync(process.execPath, [...TS_NODE, "--quick", "--fast"], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(bad.status).to.equal(2);
      expect(bad.stdout).to.equal("");
      expect(bad.stderr).to.contain('error bad-argument: unknown option "--fast"');
      expect(bad.stderr).to.contain(USAGE);
    });
  });

  describe("--resume: finishing an interrupted run", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-bench-resume-"));
    const args = (extra: string[] = []) => parseBenchArgs(["--resume", tmp, ...extra]);
    const write = (r: unknown) => fs.writeFileSync(path.join(tmp, RUN_RECORD), JSON.stringify(r));
    const record: RunRecord = {
      version: 1,
      quick: false,
      ptau: path.resolve("big.ptau"),
      date: "2030-01-02T03:04:05.000Z",
      builds: { test: "aa", production: "bb" },
      done: { policy: 300, zkvm: 60 },
    };
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("takes a timestamp (under bench/results/runs) or a folder; refuses --resume without one", () => {
      expect(parseBenchArgs(["--resume", "20301231-235959"]).resume).to.equal("20301231-235959");
      expect(parseBenchArgs(["--resume=runs/x"]).resume).to.equal("runs/x");
      expect(resumeDir("20301231-235959", "/r")).to.equal(path.join("/r", "runs", "20301231-235959"));
      expect(resumeDir("some/folder", "/r")).to.equal(path.resolve("some/folder"));
      expect(() => parseBenchArgs(["--resume"])).to.throw(BenchUsageError, "--resume needs a run");
      expect(() => parseBenchArgs(["--resume", "--save"])).to.throw(BenchUsageError, "--resume needs a run");
    });

    it("continues only a recorded run with its own options and the builds it measured", () => {
      expect(() => resumeRecord(tmp, args(), "bb")).to.throw(BenchUsageError, /no readable run record/);
      write({ version: 2 });
      expect(() => resumeRecord(tmp, args(), "bb")).to.throw(BenchUsageError, /is not a run record/);
      write(record);
      expect(resumeRecord(tmp, args(), "bb")).to.deep.equal(record);
      expect(resumeRecord(tmp, args(["--ptau", "big.ptau", "--save"]), "bb").done).to.deep.equal(record.done);
      expect(() => resumeRecord(tmp, args(["--quick"]), "bb")).to.throw(
        BenchUsageError,
        "that run is a full run; drop --quick",
      );
      expect(() => resumeRecord(tmp, args(["--ptau", "other.ptau"]), "bb")).to.throw(
        BenchUsageError,
        `that run used --ptau ${record.ptau}; drop --ptau`,
      );
      expect(() => resumeRecord(tmp, args(), "cc")).to.throw(
        BenchUsageError,
        /build\/production changed since that run began/,
      );
      expect(() => resumeRecord(tmp, args(), null)).to.throw(BenchUsageError, /build\/production changed/);
    });

    it("keeps a bench only when the run recorded it as finished and its output is still there", () => {
      const steps = plan({ help: false, quick: false, save: false }, tmp, false);
      const policy = steps.find((s) => s.name === "policy")!;
      const zkvm = steps.find((s) => s.name === "zkvm")!;
      fs.writeFileSync(policy.out!, "{}");
      expect(keptFromRun(policy, record)).to.equal(true);
      expect(keptFromRun(policy, undefined)).to.equal(false);
      expect(keptFromRun(zkvm, record)).to.equal(false); // recorded, but its output is gone
      expect(
        keptFromRun(
          steps.find((s) => s.name === "setup")!,
          record,
        ),
      ).to.equal(false); // not finished
      expect(keptFromRun(steps[0], { ...record, done: { ...record.done, [steps[0].name]: 1 } })).to.equal(false); // the build always runs
    });

    it("npm run bench -- --resume <a run without a record>: said once, exit 2, before any bench", () => {
      const r = spawnSync(process.execPath, [...TS_NODE, "--resume", "20000101-000000"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.match(
        /^error bad-argument: --resume 20000101-000000: no readable run record bench\/results\/runs\/20000101-000000\/run\.json/,
      );
    });
  });

  describe("the run plan", () => {
    const N = policyParams("production").batchSize;
    const runDir = path.join(os.tmpdir(), "zkla-bench-plan");

    it("--quick: test profile, mock-verifier gas up to 256 and at the production size, no extra benches", () => {
      const steps = plan({ help: false, quick: true, save: false }, runDir, true);
      const names = steps.map((s) => s.name);
      expect(names[0]).to.equal("build (test profile)");
      expect(names).to.include.members(["policy", "zkvm", "anchor gas", "attest (test)", "setup", "throughput"]);
      expect(names).to.not.include.members(["attest (production)", "hash", "plan", "stream", "audit"]);
      const gas = steps.find((s) => s.name === "anchor gas")!;
      expect(gas.env!.BENCH_SIZES.split(",").map(Number)).to.include.members([N, 32, 64, 128, 256]);
      expect(steps.find((s) => s.name === "setup")!.env!.ZKLA_BENCH_PTAU_POWERS).to.equal("");
      expect(steps.find((s) => s.name === "throughput")!.env!.ZKLA_BENCH_PROFILE).to.equal("test");
      for (const s of steps.slice(1)) expect(path.dirname(s.out!)).to.equal(runDir);
    });

    it("a full run adds the dev ptau, the production attest when built, and the other benches", () => {
      const steps = plan({ help: false, quick: false, save: true, ptau: "x.ptau" }, runDir, true);
      const names = steps.map((s) => s.name);
      expect(names).to.include.members(["attest (production)", "hash", "plan", "stream", "audit"]);
      expect(steps.find((s) => s.name === "setup")!.env!.ZKLA_BENCH_PTAU_POWERS).to.not.equal("");
      expect(steps.find((s) => s.name === "policy")!.args).to.include("--ptau");
      expect(plan({ help: false, quick: false, save: false }, runDir, false).map((s) => s.name)).to.not.include(
        "attest (production)",
      );
    });
  });

  describe("results", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-bench-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("without --save writes only the run's file", async () => {
      const doc = path.join(dir, "BENCHMARKS.md");
      const written = await writeResults(madeUp(new Set()), { resultsDir: dir, doc, stamp: "s1", save: false });
      expect(written).to.deep.equal([path.join(dir, "runs", "s1.json")]);
      expect(fs.readdirSync(dir)).to.deep.equal(["runs"]);
    });

    it("with --save writes latest.json, the dated copy and the tables of BENCHMARKS.md, keeping its prose", async () => {
      const r = madeUp(new Set());
      const doc = path.join(dir, "BENCHMARKS.md");
      fs.writeFileSync(
        doc,
        `# Benchmarks\n\nProse before.\n\n${BEGIN_MARKER}\nold tables\n${END_MARKER}\n\nProse after.\n`,
      );
      const other = path.join(dir, "policy-in.json");
      fs.writeFileSync(other, "{}\n");
      const written = await writeResults(r, { resultsDir: dir, doc, stamp: "s2", save: true, perBench: [other] });
      const day = r.date.slice(0, 10);
      expect(written.map((f) => path.relative(dir, f))).to.deep.equal([
        "runs/s2.json",
        "latest.json",
        `${day}.json`,
        "BENCHMARKS.md",
        "policy-in.json",
      ]);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "latest.json"), "utf8"))).to.deep.equal(r);
      expect(fs.readFileSync(path.join(dir, `${day}.json`), "utf8")).to.equal(
        fs.readFileSync(path.join(dir, "latest.json"), "utf8"),
      );
      const md = fs.readFileSync(doc, "utf8");
      expect(md).to.match(/^# Benchmarks\n\nProse before\./);
      expect(md).to.contain("Prose after.");
      expect(md).to.not.contain("old tables");
      expect(md.split(BEGIN_MARKER)).to.have.length(2);
    });
  });

  describe("BENCHMARKS.md tables", () => {
    it("CPU-seconds per decision: both proofs' CPU time at the production size / N, absent when not measured", () => {
      const r = madeUp(new Set(ALL));
      expect(proofCpuSecondsPerDecision(r)).to.equal(2);
      expect(proofCpuSecondsPerDecision(madeUp(new Set()))).to.equal(
        Math.round((2 + 1 / r.productionBatchSize) * 100) / 100,
      );
      delete r.zkvm.sizes["100"].proveCpuSeconds;
      expect(proofCpuSecondsPerDecision(r)).to.equal(null);
      expect(evaluateTargets(r).map((c) => c.id)).to.not.include("proofCpuSecondsPerDecision");
    });

    it("show every target beside its figure, MISSED where missed and met where met", () => {
      for (const meet of [
        new Set<string>(),
        new Set(ALL),
        new Set(["gasPerDecision", "zkvmVerifier", "gatesPerSlot"]),
      ]) {
        const r = madeUp(meet);
        const checks = evaluateTargets(r);
        expect(checks.map((c) => c.id)).to.deep.equal(ALL);
        for (const c of checks) expect(c.met, c.id).to.equal(meet.has(c.id));
        const md = renderTables(r);
        for (const h of ["Targets", "Gas per decision", "Verifiers", "Throughput", "Policy circuit", "zkVM", "Setup"])
          expect(md).to.contain(`### ${h}`);
        const targetRows = md
          .split("### Gas per decision")[0]
          .split("\n")
          .filter((l) => l.startsWith("| ") && !l.startsWith("| what") && !l.startsWith("| ---"));
        expect(targetRows).to.have.length(ALL.length);
        for (const [k, c] of checks.entries()) {
          expect(targetRows[k]).to.contain(c.shown).and.contain(c.target);
          expect(targetRows[k]).to.contain(c.met ? "| met |" : "| **MISSED** |");
        }
        const summary = summaryLines(r).join("\n");
        for (const c of checks) expect(summary).to.contain(`${c.met ? "met   " : "MISSED"}  ${c.what}`);
      }
    });

    it("replaceGenerated puts the tables between the markers, appending them when absent", () => {
      const once = replaceGenerated("# B\n\nintro\n", "T1");
      expect(once).to.equal(`# B\n\nintro\n\n${BEGIN_MARKER}\n\nT1\n\n${END_MARKER}\n`);
      expect(replaceGenerated(once, "T2")).to.equal(once.replace("T1", "T2"));
    });
  });

  describe("bench/results/latest.json (the committed result)", () => {
    const num = (x: unknown, what: string) => expect(x, what).to.be.a("number").and.satisfy(Number.isFinite);
    const numOrNull = (x: unknown, what: string) => (x === null ? undefined : num(x, what));

    it("has every stable key of bench/README.md with the right type", () => {
      expect(fs.existsSync(LATEST_BENCHMARK), "run npm run bench -- --quick --save").to.equal(true);
      const r = JSON.parse(fs.readFileSync(LATEST_BENCHMARK, "utf8"));
      expect(r.productionBatchSize).to.equal(policyParams("production").batchSize);
      expect(r.gasPerDecision).to.have.property(String(r.productionBatchSize));
      expect(r.gasPerDecision).to.have.property(String(policyParams("test").batchSize));
      for (const [N, g] of Object.entries(r.gasPerDecision as Record<string, Record<string, unknown>>)) {
        expect(Number(N)).to.be.a("number").and.satisfy(Number.isInteger);
        for (const k of ["total", "policyVerifier", "zkvmVerifier", "stateUpdate", "calldata"])
          num(g[k], `gasPerDecision.${N}.${k}`);
        expect(g.source).to.be.oneOf(["real proofs", "mock verifiers"]);
      }
      for (const v of ["policy", "zkvm"])
        for (const k of ["measured", "floor", "publicInputs"]) num(r.verifierGas[v][k], `verifierGas.${v}.${k}`);
      for (const k of ["pipelineDecisionsPerSec", "naiveDecisionsPerSec", "speedupVsNaive", "naiveGasPerDecision"])
        num(r.throughput[k], `throughput.${k}`);
      expect(r.policy).to.have.property(String(r.productionBatchSize));
      for (const [N, p] of Object.entries(r.policy as Record<string, Record<string, unknown>>)) {
        for (const k of ["r1cs", "plonkGates", "gatesPerSlot"]) num(p[k], `policy.${N}.${k}`);
        for (const k of ["proveSeconds", "peakRssMB"]) numOrNull(p[k], `policy.${N}.${k}`);
      }
      num(r.zkvm.constraintsPerStep, "zkvm.constraintsPerStep");
      num(r.zkvm.stepSlope, "zkvm.stepSlope");
      for (const [T, z] of Object.entries(r.zkvm.sizes as Record<string, Record<string, unknown>>)) {
        num(z.constraints, `zkvm.sizes.${T}.constraints`);
        for (const k of ["proveSeconds", "peakRssMB"]) numOrNull(z[k], `zkvm.sizes.${T}.${k}`);
      }
      for (const [p, x] of Object.entries(r.setup.ptau as Record<string, { seconds: unknown }>))
        numOrNull(x.seconds, `setup.ptau.${p}`);
      expect(Object.keys(r.setup.zkeys)).to.not.be.empty;
      for (const [z, x] of Object.entries(r.setup.zkeys as Record<string, { seconds: unknown }>))
        num(x.seconds, `setup.zkeys.${z}`);
      num(r.machine.cores, "machine.cores");
      num(r.machine.memoryGB, "machine.memoryGB");
      expect(r.machine.node).to.match(/^v\d+/);
      expect(new Date(r.machine.date).toISOString()).to.equal(r.machine.date);
    });

    it("has a dated copy, and BENCHMARKS.md shows its figures", () => {
      const text = fs.readFileSync(LATEST_BENCHMARK, "utf8");
      const r = JSON.parse(text) as BenchmarkResult;
      const dated = path.join(path.dirname(LATEST_BENCHMARK), `${r.date.slice(0, 10)}.json`);
      expect(fs.readFileSync(dated, "utf8")).to.equal(text);
      const md = fs.readFileSync(path.join(REPO_ROOT, "BENCHMARKS.md"), "utf8");
      const generated = md.slice(md.indexOf(BEGIN_MARKER), md.indexOf(END_MARKER));
      for (const c of evaluateTargets(r)) expect(generated).to.contain(c.shown);
    });
  });
});
