/**
 * `npm run demo` is the README's first command: this runs it exactly as the README shows it for
 * scripts (`npm run --silent demo -- --json`, JSON alone on stdout) on the in-process network, with real test-profile proofs, and checks the summary it
 * prints against the chain's own view: every decision attested in order, the final root as planned,
 * the audit clean. A smaller sample than the default keeps it quick. After its own summary the demo
 * shows the production figures of the last committed benchmark: checked against bench/results/latest.json.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { evaluateTargets, LATEST_BENCHMARK, lastBenchmark, type BenchmarkResult } from "../src/benchmark";
import type { DemoSummary } from "../src/demo";
import { policyParams } from "../src/policy";
import { REPO_ROOT } from "../src/paths";
import { benchmarkLine, demoSummaryLines } from "../tasks/anchor/render";

/** Runs `npm run --silent demo -- <args>` as the README shows it. */
function npmDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "demo", "--", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, REPORT_GAS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run demo (hardhat anchor:demo)", function () {
  this.timeout(600_000);
  let runsDir: string;

  before(() => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-demo-"));
  });
  after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  it("deploys, proves, submits in order and audits a seeded sample; the summary matches the chain", async () => {
    const { batchSize } = policyParams("test");
    const applications = batchSize + 1; // two batches, the second one partial
    const r = await npmDemo([
      "--applications",
      String(applications),
      "--runs-dir",
      runsDir,
      "--concurrency",
      "2",
      "--json",
    ]);
    expect(r.code, `stdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`).to.equal(0);
    // stdout is the summary alone (the circuit build log and progress go to stderr).
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).to.include({
      network: "hardhat",
      batches: 2,
      batchSize,
      decisions: applications,
      provedBatches: 2,
      reusedBatches: 0,
      finalRootMatchesPlan: true,
      anchorNonce: "2",
      decisionCountOnChain: String(applications),
      audit: "pass",
    });
    expect((summary.approved as number) + (summary.denied as number)).to.equal(applications);
    expect(Number(summary.attestGas)).to.be.greaterThan(0);
    // The run folder holds both proven batches (the durable record the pipeline resumes from).
    expect(fs.existsSync(summary.runFolder as string)).to.equal(true);
    expect(path.dirname(summary.runFolder as string)).to.equal(runsDir);
    // The last committed benchmark rides along in the summary; the task prints it after the summary.
    expect(summary.lastBenchmark).to.deep.equal(lastBenchmark());
    expect(demoSummaryLines(summary as unknown as DemoSummary).at(-1)).to.equal(benchmarkLine(lastBenchmark()));
  });

  describe("the production figures of the last committed benchmark", () => {
    it("are one line, each figure with its target, from bench/results/latest.json", () => {
      expect(fs.existsSync(LATEST_BENCHMARK), "run npm run bench -- --quick --save").to.equal(true);
      const r = JSON.parse(fs.readFileSync(LATEST_BENCHMARK, "utf8")) as BenchmarkResult;
      const N = r.productionBatchSize;
      const line = benchmarkLine(lastBenchmark());
      expect(line).to.match(
        new RegExp(`^Production \\(last committed benchmark, ${r.date.slice(0, 10)}(, quick run)?, N = ${N}\\): `),
      );
      expect(line).to.contain(`${Math.round(r.gasPerDecision[N].total).toLocaleString("en-US")} gas per decision`);
      const checks = evaluateTargets(r);
      expect(checks.map((c) => c.id)).to.include("gasPerDecision");
      for (const c of checks)
        expect(line).to.contain(`(${c.where ? `${c.where}; ` : ""}target ${c.target}: ${c.met ? "met" : "MISSED"})`);
      expect(line.match(/target /g)).to.have.length(checks.length);
      expect(line).to.not.contain("\n");
    });

    it("say in one line that there is none when the file is absent or unreadable", () => {
      const line = benchmarkLine(lastBenchmark(path.join(os.tmpdir(), "no-such-dir", "latest.json")));
      expect(line).to.match(/^Production \(last committed benchmark\): none, .*latest\.json is absent/);
      expect(line).to.not.contain("\n");
      const bad = path.join(runsDir, "latest.json");
      fs.writeFileSync(bad, "{ not json");
      expect(benchmarkLine(lastBenchmark(bad))).to.match(
        /^Production \(last committed benchmark\): none, .* is unreadable \(/,
      );
    });
  });
});
