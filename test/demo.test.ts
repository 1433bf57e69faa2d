/**
 * `npm run demo` is the README's first command: this runs its task (`hardhat anchor:demo`) as a
 * child process on the in-process network, with real test-profile proofs, and checks the summary it
 * prints against the chain's own view: every decision attested in order, the final root as planned,
 * the audit clean. A smaller sample than the default keeps it quick.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { policyParams } from "../src/policy";
import { runCli } from "./e2e/helpers";

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
    const r = await runCli(
      ["anchor:demo", "--applications", String(applications), "--runs-dir", runsDir, "--concurrency", "2", "--json"],
      {},
    );
    expect(r.code, `stdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`).to.equal(0);
    const summary = JSON.parse(r.stdout.slice(r.stdout.indexOf("{\n"))) as Record<string, unknown>;
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
  });
});
