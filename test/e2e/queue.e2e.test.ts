/**
 * Several machines, on one: a submitter (`anchor:attest --queue`) and two prover processes
 * (`anchor:worker`) through a real redis-server, against anvil, with real test-profile proofs.
 * One worker is SIGKILLed while it proves and Redis is restarted (empty) mid-run: the run completes,
 * every batch attested exactly once and in nonce order, by the submitter alone. Then the submitter's
 * check of a worker's result is tried on the stored proofs, tampered and swapped.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { Contract, JsonRpcProvider } from "ethers";
import { STATE_ANCHOR_ABI } from "../../src/anchor/abi";
import { circuitPaths } from "../../src/paths";
import { policyParams } from "../../src/policy";
import { RunStore } from "../../src/pipeline";
import { poolJob } from "../../src/pipeline/proving/prove";
import { verifyBatchProofs } from "../../src/pipeline/proving/snark-verify";
import { terminateCurves } from "../../src/snark";
import { ANVIL_KEY, freePort, runCli, startAnvil, type Node } from "./helpers";
import { EventProcess, HAVE_REDIS, NO_REDIS, startRedis, stopProcess, until } from "../pipeline/queue-helpers";

const HARDHAT = require.resolve("hardhat/internal/cli/cli.js");

describe("several machines: a submitter and two workers through Redis, against anvil (real proofs)", function () {
  this.timeout(300_000);
  let node: Node;
  let dir: string;
  let redis: ChildProcess | undefined;
  let port: number;
  const procs: EventProcess[] = [];
  let env: Record<string, string>;
  let deployment: string;

  before(async function () {
    if (!HAVE_REDIS) {
      console.log(NO_REDIS);
      this.skip();
    }
    if (!fs.existsSync(circuitPaths("zkvm", "test").zkey))
      throw new Error("build the test circuits first (npm run build:circuits -- --profile test)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-queue-e2e-"));
    node = await startAnvil();
    env = { ZKLA_E2E_RPC_URL: node.url, ZKLA_E2E_PRIVATE_KEY: ANVIL_KEY };
    deployment = path.join(dir, "deployment.json");
    const deployed = await runCli(
      ["anchor:deploy", "--network", "e2e", "--profile", "test", "--threshold", "600", "--out", deployment],
      env,
    );
    expect(deployed.code, deployed.stderr).to.equal(0);
    port = await freePort();
    redis = await startRedis(port, dir);
  });

  after(async () => {
    for (const p of procs) await stopProcess(p.proc, "SIGKILL");
    if (redis) await stopProcess(redis);
    await node?.stop();
    await terminateCurves();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a worker SIGKILLed mid-proof and Redis restarted mid-run: every batch attested once, in nonce order", async () => {
    const url = `redis://127.0.0.1:${port}`;
    const N = policyParams("test").batchSize;
    const batches = 3;
    const input = path.join(dir, "applications.csv");
    const rows = Array.from({ length: batches * N }, (_, i) => `${i + 1},${500 + 23 * i}`);
    fs.writeFileSync(input, ["applicantId,score", ...rows].join("\n") + "\n");

    const worker = () =>
      new EventProcess(
        [HARDHAT, "anchor:worker", "--queue", url, "--concurrency", "1", "--lock-seconds", "3", "--json"],
        env,
      );
    const [w1, w2] = [worker(), worker()];
    procs.push(w1, w2);
    await Promise.all([w1.ready(90_000), w2.ready(90_000)]);
    const submitter = new EventProcess(
      [
        HARDHAT,
        "anchor:attest",
        "--network",
        "e2e",
        "--deployment",
        deployment,
        "--input",
        input,
        "--runs-dir",
        path.join(dir, "runs"),
        "--queue",
        url,
        "--json",
      ],
      env,
    );
    procs.push(submitter);
    const exited = new Promise<number | null>((resolve) => submitter.proc.once("exit", (c) => resolve(c)));

    // Kill worker 1 while it proves its first batch: its job goes to worker 2 once the lock expires.
    await until(() => w1.of("job-taken").length > 0, "worker 1 to take a job", 120_000);
    const killedJob = Number(w1.of("job-taken")[0].index);
    await stopProcess(w1.proc, "SIGKILL");
    expect(w1.proved()).to.not.include(killedJob);

    // Restart Redis (empty, no persistence) once the first batch is attested.
    await until(() => submitter.of("batch-attested").length > 0, "the first attested batch", 180_000);
    await stopProcess(redis!, "SIGKILL");
    redis = await startRedis(port, dir);

    const code = await exited;
    expect(code, submitter.stderr).to.equal(0);
    const queueEvents = submitter.of("queue").map((e) => (e.event as { type: string }).type);
    expect(queueEvents).to.include("queue-start");
    expect(queueEvents, "the submitter noticed the restart").to.include("queue-reconnected");
    expect(w2.proved(), "the killed worker's batch was proven by the other").to.include(killedJob);
    expect(submitter.of("batch-attested").map((e) => Number(e.index))).to.deep.equal([0, 1, 2]);

    // The chain: nonces 0..3 exactly once, each from a successful attest sent by the submitter.
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    try {
      const address = JSON.parse(fs.readFileSync(deployment, "utf8")).contracts.stateAnchor.address as string;
      const anchor = new Contract(address, STATE_ANCHOR_ABI as unknown as string[], provider);
      expect(await anchor.nonce()).to.equal(BigInt(batches));
      const logs = await anchor.queryFilter(anchor.filters.BatchAttested(), 0);
      expect(logs.map((l) => (l as unknown as { args: { nonce: bigint } }).args.nonce)).to.deep.equal([0n, 1n, 2n]);
      for (const l of logs) expect((await provider.getTransactionReceipt(l.transactionHash))!.status).to.equal(1);
    } finally {
      provider.destroy();
    }

    // The submitter's check of a worker's result (verifyBatchProofs, with its own keys and the plan's
    // signals): the stored proofs pass; a tampered proof, or another batch's proof, does not.
    const runsDir = path.join(dir, "runs");
    const store = new RunStore(
      path.join(
        runsDir,
        fs.readdirSync(runsDir).find((d) => d !== "ledger")!,
      ),
    );
    const plan = store.loadPlan();
    const job = poolJob(plan, store.readBatch(0));
    const proofs = store.loadBatch(plan.batches[0])!.proofs;
    expect(await verifyBatchProofs(job, proofs)).to.equal(true);
    const tampered = { ...proofs, policyProof: [...proofs.policyProof] };
    tampered.policyProof[0] = proofs.policyProof[2];
    expect(await verifyBatchProofs(job, tampered)).to.equal(false);
    const zkvmTampered = { ...proofs, zkvmProof: [...proofs.zkvmProof].reverse() };
    expect(await verifyBatchProofs(job, zkvmTampered)).to.equal(false);
    expect(await verifyBatchProofs(job, store.loadBatch(plan.batches[1])!.proofs)).to.equal(false);
  });
});
