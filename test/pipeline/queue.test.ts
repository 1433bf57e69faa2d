/**
 * Proving through a queue (src/pipeline/proving/queue.ts, queue-worker.ts, anchor:worker) on a real
 * redis-server started on a free loopback port, with fake-prover workers in processes of their own:
 * every batch is delivered exactly once, through a worker killed mid-job, a Redis restarted empty
 * and a result that fails verification; a worker of another key set refuses; a malformed --queue
 * is a usage error.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { ProvingFailedError, openRun, type RunStore } from "../../src/pipeline";
import type { BatchProofs, RunPlan } from "../../src/pipeline/types";
import type { PoolJob } from "../../src/pipeline/proving/pool";
import { runQueue, type QueueEvent, type QueueRunOptions } from "../../src/pipeline/proving/queue";
import { KeysetMismatchError, startQueueWorker } from "../../src/pipeline/proving/queue-worker";
import { keysetKey, parseQueueUrl } from "../../src/pipeline/proving/queue-shared";
import { ZklaError } from "../../src/errors";
import { circuitPaths } from "../../src/paths";
import { BATCH_SIZE, fakePolicy, fakeState } from "./fakes";
import { createProver } from "./fake-prover";
import { freePort, processesWithEnv, runCli } from "../e2e/helpers";
import { EventProcess, HAVE_REDIS, NO_REDIS, poolJobs, startRedis, stopProcess, until } from "./queue-helpers";
import type { ChildProcess } from "node:child_process";

const WORKER_MAIN = path.join(__dirname, "queue-worker-main.ts");
const FAKE_PROVER = path.join(__dirname, "fake-prover.ts");
const KEY = "fake-key-set-1";

/** A worker machine: queue-worker-main.ts (fake prover, short locks) in a process of its own. */
class WorkerProcess extends EventProcess {
  constructor(url: string, queueName: string, keyId: string, env: Record<string, string> = {}) {
    super(["-r", "ts-node/register/transpile-only", WORKER_MAIN, url, queueName, keyId], env);
  }
}

function csv(n: number): string {
  const rows = ["applicantId,score,salt"];
  for (let i = 0; i < n; i++) rows.push(`${1000 + i},${500 + 37 * i},`);
  return rows.join("\n") + "\n";
}

const fake = createProver();
async function fakeVerify(pj: PoolJob, proofs: BatchProofs): Promise<boolean> {
  const ok = await fake.verify(pj.job, proofs);
  return ok.policy && ok.zkvm;
}

describe("proving through a queue (BullMQ on a real redis-server, fake-prover worker processes)", function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let url: string;
  let redis: ChildProcess | undefined;
  let plan: RunPlan;
  let jobs: PoolJob[];
  const workers: WorkerProcess[] = [];
  const spawnWorker = (queueName: string, keyId = KEY, env: Record<string, string> = {}) => {
    const w = new WorkerProcess(url, queueName, keyId, env);
    workers.push(w);
    return w;
  };

  before(async function () {
    if (!HAVE_REDIS) {
      console.log(NO_REDIS);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-queue-"));
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port, dir);
    const input = path.join(dir, "apps.csv");
    fs.writeFileSync(input, csv(8 * BATCH_SIZE - 1));
    const ctx = {
      chainId: 31337n,
      anchor: "0x" + "11".repeat(20),
      domain: 123n,
      policyId: 1n,
      methodId: 77n,
      threshold: 600n,
      profile: "test" as const,
      batchSize: BATCH_SIZE,
      scoreBits: 32,
    };
    let store: RunStore;
    ({ plan, store } = await openRun({
      input,
      context: ctx,
      policy: fakePolicy,
      state: fakeState,
      readStart: async () => ({ nonce: 0n, root: 42n }),
      runsDir: path.join(dir, "runs"),
    }));
    jobs = poolJobs(plan, store);
    expect(jobs).to.have.length(8);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => stopProcess(w.proc, "SIGKILL")));
  });
  after(async () => {
    if (redis) await stopProcess(redis);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** runQueue with the fake verifier, counting deliveries per batch index. */
  function run(queueName: string, extra: Partial<QueueRunOptions> = {}) {
    const delivered = new Map<number, number>();
    const events: QueueEvent[] = [];
    const done = runQueue(jobs.values(), jobs.length, {
      url,
      queueName,
      runId: plan.runId,
      keyId: KEY,
      verify: fakeVerify,
      pollMs: 100,
      reconcileMs: 500,
      backoffMs: 200,
      onProved: (index, proofs) => {
        expect(proofs.policyProof).to.have.length(24);
        delivered.set(index, (delivered.get(index) ?? 0) + 1);
      },
      onEvent: (e) => events.push(e),
      ...extra,
    });
    return { delivered, events, done };
  }
  const exactlyOnce = (delivered: Map<number, number>) =>
    expect([...delivered.entries()].sort((a, b) => a[0] - b[0])).to.deep.equal(jobs.map((j) => [j.job.index, 1]));

  it("(a) two worker processes prove every batch; each is delivered exactly once, verified", async () => {
    const [w1, w2] = [
      spawnWorker("qa", KEY, { FAKE_PROVER_DELAY_MS: "150" }),
      spawnWorker("qa", KEY, { FAKE_PROVER_DELAY_MS: "150" }),
    ];
    await Promise.all([w1.ready(), w2.ready()]);
    const started: number[] = [];
    // At most 3 batches in Redis at a time: the rest are taken from the iterable as results arrive.
    const r = run("qa", { onStart: (i) => started.push(i), maxOutstanding: 3 });
    await r.done;
    exactlyOnce(r.delivered);
    expect([...w1.proved(), ...w2.proved()].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(w1.proved().length, "worker 1 proved some").to.be.greaterThan(0);
    expect(w2.proved().length, "worker 2 proved some").to.be.greaterThan(0);
    expect(new Set(started).size).to.equal(8);
    expect(r.events[0]).to.include({ type: "queue-start", queue: "qa", jobs: 8, done: 0 });
    // Delivered results are removed, and the key set is withdrawn when the run ends.
    const client = new Redis(port, "127.0.0.1");
    try {
      expect(await client.keys("bull:qa:*.b*")).to.deep.equal([]);
      expect(await client.exists(keysetKey("qa"))).to.equal(0);
    } finally {
      client.disconnect();
    }
    // SIGTERM closes a worker gracefully.
    await Promise.all([stopProcess(w1.proc), stopProcess(w2.proc)]);
    expect([w1.proc.exitCode, w2.proc.exitCode]).to.deep.equal([0, 0]);
  });

  it("(b) a worker SIGKILLed mid-job: its job is proved by the other after the lock expires; each batch once", async () => {
    const marker = `ZKLA_QUEUE_TEST_VICTIM_${process.pid}_${Date.now()}`;
    const victim = spawnWorker("qb", KEY, { FAKE_PROVER_DELAY_MS: "1000", [marker]: "1" });
    const other = spawnWorker("qb", KEY, { FAKE_PROVER_DELAY_MS: "100" });
    await Promise.all([victim.ready(), other.ready()]);
    const r = run("qb");
    await until(() => victim.of("job-taken").length > 0, "the victim to take a job");
    const lost = Number(victim.of("job-taken")[0].index);
    await stopProcess(victim.proc, "SIGKILL");
    await r.done;
    exactlyOnce(r.delivered);
    expect(victim.proved()).to.deep.equal([]);
    expect(other.proved()).to.include(lost);
    expect(other.of("job-stalled").length, "the stalled job was put back").to.be.greaterThan(0);
    // The victim's prover child saw its parent die and exited (no orphan proving for nobody).
    await until(() => processesWithEnv(marker).length === 0, "the victim's prover child to exit", 5000);
  });

  it("(c) Redis restarted empty mid-run: the run completes, each batch once", async () => {
    const ws = [
      spawnWorker("qc", KEY, { FAKE_PROVER_DELAY_MS: "300" }),
      spawnWorker("qc", KEY, { FAKE_PROVER_DELAY_MS: "300" }),
    ];
    await Promise.all(ws.map((w) => w.ready()));
    let restarted = false;
    const r = run("qc", {
      onProved: async (index) => {
        r.delivered.set(index, (r.delivered.get(index) ?? 0) + 1);
        if (r.delivered.size === 2 && !restarted) {
          restarted = true;
          await stopProcess(redis!, "SIGKILL");
          redis = await startRedis(port, dir);
        }
      },
    });
    await r.done;
    expect(restarted).to.equal(true);
    exactlyOnce(r.delivered);
    const types = r.events.map((e) => e.type);
    expect(types).to.include("queue-disconnected");
    expect(types).to.include("queue-reconnected");
    expect(r.events.filter((e) => e.type === "batch-requeued" && e.reason === "missing").length).to.be.greaterThan(0);
  });

  it("(d) a worker of another key set refuses to start; a job of another key set is left for a right worker", async () => {
    const client = new Redis(port, "127.0.0.1");
    try {
      await client.hset(keysetKey("qd"), { keyId: KEY, runId: "r1", profile: "test" });
      const err = await startQueueWorker({
        url,
        queueName: "qd",
        keyId: "other-key-set",
        proverModule: FAKE_PROVER,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(KeysetMismatchError);
      expect((err as ZklaError).code).to.equal("keyset-mismatch");
      expect((err as Error).message).to.equal(
        `queue "qd" is proving for key set ${KEY} (run r1, profile test), but this worker's build has key set other-key-set`,
      );
      await client.del(keysetKey("qd"));
    } finally {
      client.disconnect();
    }
    // Started before the submitter (nothing published yet), a worker of other keys puts every job back.
    const wrongEvents: string[] = [];
    const wrong = await startQueueWorker({
      url,
      queueName: "qd",
      keyId: "other-key-set",
      proverModule: FAKE_PROVER,
      refusedDelayMs: 200,
      onEvent: (e) => wrongEvents.push(e.type),
    });
    try {
      const r = run("qd");
      await until(() => wrongEvents.includes("job-refused"), "a refusal");
      const right = spawnWorker("qd");
      await r.done;
      exactlyOnce(r.delivered);
      expect(right.proved().sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(wrongEvents).to.not.include("job-proved");
      expect(wrongEvents).to.not.include("job-failed");
    } finally {
      await wrong.close();
    }
  });

  it("(d) anchor:worker: this build's key set against another one published: error keyset-mismatch, exit 1", async function () {
    if (!fs.existsSync(circuitPaths("policy", "test").vkey)) this.skip();
    const client = new Redis(port, "127.0.0.1");
    try {
      await client.hset(keysetKey("qd2"), { keyId: KEY, runId: "r1", profile: "test" });
      const res = await runCli(["anchor:worker", "--queue", url, "--queue-name", "qd2", "--profile", "test"], {});
      expect(res.code, res.stderr).to.equal(1);
      expect(res.stderr).to.match(
        new RegExp(
          `^error keyset-mismatch: queue "qd2" is proving for key set ${KEY} \\(run r1, profile test\\), but this worker's build has key set [0-9a-f]{64}\\n`,
        ),
      );
    } finally {
      await client.del(keysetKey("qd2"));
      client.disconnect();
    }
  });

  it("(e) a result that fails the submitter's verification is not delivered: the batch is proved again", async () => {
    const log = path.join(dir, "qe.log");
    const w = spawnWorker("qe", KEY, { FAKE_PROVER_LOG: log });
    await w.ready();
    let rejected = 0;
    const r = run("qe", {
      verify: async (pj, proofs) => {
        if (pj.job.index === 3 && rejected === 0) {
          rejected++;
          return false;
        }
        return fakeVerify(pj, proofs);
      },
    });
    await r.done;
    exactlyOnce(r.delivered);
    expect(r.events.filter((e) => e.type === "batch-invalid-proof").map((e) => ({ ...e, worker: null }))).to.deep.equal(
      [{ type: "batch-invalid-proof", index: 3, worker: null, message: "the proofs do not verify", count: 1 }],
    );
    expect(r.events).to.deep.include({ type: "batch-requeued", index: 3, reason: "invalid-proof" });
    const proofsOf3 = fs
      .readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l === "3").length;
    expect(proofsOf3, "batch 3 proved twice").to.equal(2);
  });

  it("(e) results failing verification every time, or a prover failing every attempt: ProvingFailedError", async () => {
    const w = spawnWorker("qe2", KEY, { FAKE_PROVER_FAIL_INDEX: "5" });
    await w.ready();
    const bad = run("qe2", { verify: async (pj, p) => pj.job.index !== 2 && fakeVerify(pj, p), attempts: 2 });
    const err = await bad.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ProvingFailedError);
    expect((err as Error).message).to.match(
      /batch (2: 3 result\(s\) from workers failed verification; the last: the proofs do not verify|5: fake prover failure on batch 5 \(after 2 attempt\(s\)\))/,
    );
  });

  it("shouldStop: queued batches are taken back, the one being proved is still delivered, then it resolves", async () => {
    const w = spawnWorker("qs", KEY, { FAKE_PROVER_DELAY_MS: "300" });
    await w.ready();
    const r = run("qs", { shouldStop: () => r.delivered.size > 0 });
    await r.done;
    expect([...r.delivered.values()].every((n) => n === 1)).to.equal(true);
    expect(r.delivered.size).to.be.within(1, 2);
    const client = new Redis(port, "127.0.0.1");
    try {
      expect(await client.llen("bull:qs:wait")).to.equal(0);
    } finally {
      client.disconnect();
    }
  });

  it("(f) anchor:worker with a malformed --queue URL is a usage error (exit 2), without echoing the password", async () => {
    const res = await runCli(["anchor:worker", "--queue", "http://user:s3cret@host:6379"], {});
    expect(res.code).to.equal(2);
    expect(res.stderr).to.equal(
      'error bad-argument: --queue must be a redis://[user:password@]host:port[/db] URL: the scheme must be redis: or rediss:, got "http://***@host:6379"\n' +
        "  e.g. redis://10.0.0.5:6379\n",
    );
    expect(res.stdout).to.equal("");
  });

  it("parseQueueUrl: host, port, db, credentials (or $ZKLA_REDIS_PASSWORD); bad URLs refused", () => {
    expect(parseQueueUrl("redis://u:p%40ss@10.0.0.5:6380/2", "--queue", {})).to.deep.equal({
      host: "10.0.0.5",
      port: 6380,
      db: 2,
      username: "u",
      password: "p@ss",
      tls: false,
      display: "redis://10.0.0.5:6380/2",
    });
    expect(parseQueueUrl("redis://h", "--queue", { ZKLA_REDIS_PASSWORD: "pw" })).to.include({
      port: 6379,
      db: 0,
      password: "pw",
    });
    for (const [bad, why] of [
      ["h:6379", "the scheme must be redis: or rediss:"],
      ["not a url", "not a URL"],
      ["redis://h:6379/x", "the path must be a database number"],
      ["redis://h:6379?db=1", "no query or fragment is allowed"],
    ])
      expect(() => parseQueueUrl(bad, "--queue", {})).to.throw(ZklaError, why);
  });
});
