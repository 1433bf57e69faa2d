/**
 * The queue with the real provers: `npx hardhat anchor:worker` (snarkjs in its sandboxed child) proves
 * a test-profile batch taken from a real redis-server, and the submitter verifies the returned
 * calldata words with this build's keys (verifyBatchProofs, the `verify` a CLI run uses). About 30 s;
 * needs the test-profile circuits (npm test builds them) and redis-server.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { anchorStateModel, openRun, policyModel } from "../../src/pipeline";
import type { BatchProofs } from "../../src/pipeline/types";
import { provingKeyId } from "../../src/pipeline/proving/prove";
import { runQueue, type QueueEvent } from "../../src/pipeline/proving/queue";
import { verifyBatchProofs } from "../../src/pipeline/proving/snark-verify";
import { circuitPaths } from "../../src/paths";
import { policyParams } from "../../src/policy";
import { loanGuest } from "../../src/zkvm/guest";
import { terminateCurves } from "../../src/snark";
import { freePort } from "../e2e/helpers";
import { EventProcess, HAVE_REDIS, NO_REDIS, poolJobs, startRedis, stopProcess } from "./queue-helpers";

describe("proving through a queue with the real provers (anchor:worker, test profile)", function () {
  this.timeout(180_000);
  let dir: string;
  let redis: ChildProcess | undefined;
  let worker: EventProcess | undefined;

  before(async function () {
    if (!HAVE_REDIS) {
      console.log(NO_REDIS);
      this.skip();
    }
    if (!fs.existsSync(circuitPaths("zkvm", "test").vkey)) {
      console.log("    the test-profile circuits are not built (npx hardhat circuits:build --profile test): skipping");
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-queue-real-"));
  });
  after(async () => {
    if (worker) await stopProcess(worker.proc, "SIGKILL");
    if (redis) await stopProcess(redis);
    await terminateCurves();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a batch proved by a worker process is verified by the submitter and delivered; SIGINT closes the worker", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port, dir);
    const cli = require.resolve("hardhat/internal/cli/cli.js");
    worker = new EventProcess([
      cli,
      "anchor:worker",
      "--queue",
      url,
      "--queue-name",
      "real",
      "--profile",
      "test",
      "--concurrency",
      "1",
      "--json",
    ]);
    const N = policyParams("test").batchSize;
    const input = path.join(dir, "apps.csv");
    const rows = Array.from({ length: N }, (_, i) => `${i + 1},${600 + 40 * i}`);
    fs.writeFileSync(input, ["applicantId,score", ...rows].join("\n") + "\n");
    const context = {
      chainId: 31337n,
      anchor: "0x" + "22".repeat(20),
      domain: 5n,
      policyId: 1n,
      methodId: loanGuest().methodId,
      threshold: 650n,
      profile: "test" as const,
      batchSize: N,
      scoreBits: policyParams("test").scoreBits,
    };
    const { plan, store } = await openRun({
      input,
      context,
      policy: policyModel("test"),
      state: anchorStateModel,
      readStart: async () => ({ nonce: 0n, root: 7n }),
      runsDir: path.join(dir, "runs"),
    });
    const jobs = poolJobs(plan, store);
    await worker.ready(60_000);
    const delivered: [number, BatchProofs][] = [];
    const events: QueueEvent[] = [];
    await runQueue(jobs, jobs.length, {
      url,
      queueName: "real",
      runId: plan.runId,
      keyId: provingKeyId("test"),
      verify: verifyBatchProofs,
      pollMs: 200,
      onProved: (index, proofs) => void delivered.push([index, proofs]),
      onEvent: (e) => events.push(e),
    });
    expect(delivered.map(([i]) => i)).to.deep.equal([0]);
    expect(events.filter((e) => e.type === "batch-invalid-proof")).to.deep.equal([]);
    const [, proofs] = delivered[0];
    expect(proofs.zkvmPublicSignals).to.deep.equal(jobs[0].expectedZkvmSignals);
    // A tampered proof fails the same check.
    const tampered = { ...proofs, policyProof: [...proofs.policyProof] };
    tampered.policyProof[0] = proofs.policyProof[2];
    expect(await verifyBatchProofs(jobs[0], tampered)).to.equal(false);
    expect(worker.proved()).to.deep.equal([0]);
    // The worker's prover child ends its snarkjs threads with it: SIGINT exits cleanly.
    worker.proc.kill("SIGINT");
    const code = await new Promise((resolve) => worker!.proc.once("exit", (c) => resolve(c)));
    expect(code, worker.stderr).to.equal(0);
    expect(worker.of("worker-closed")).to.have.length(1);
  });
});
