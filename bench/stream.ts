/**
 * Streaming attest and provers on several processes: `npx hardhat run bench/stream.ts`
 * (ZKLA_BENCH_BATCHES, default 8: batches per throughput run; ZKLA_BENCH_OUT, default
 * bench/results/stream.json). Test profile, real proofs, on the in-process Hardhat network with the
 * real deploy code; the script API's attest() as anchor:attest runs it.
 *   1. Time from the start of attest() to the first attested batch, for a 1,000-row file (planning,
 *      one proof, one transaction; the run is then stopped).
 *   2. Throughput (decisions per second, wall time of the whole run) with the in-process pool at the
 *      default concurrency, and through BullMQ on a local redis-server with 1 and with 2
 *      `anchor:worker` processes (one prover each). Skipped when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import hre from "hardhat";
import { machineInfo } from "./machine";
import { deployAnchor } from "../src/anchor";
import { attest } from "../src/api";
import { REPO_ROOT } from "../src/paths";
import { policyParams } from "../src/policy";
import { defaultConcurrency } from "../src/pipeline";
import { terminateCurves } from "../src/snark";

const log = (line: string) => process.stdout.write(line + "\n");
const HARDHAT = require.resolve("hardhat/internal/cli/cli.js");

class Stop extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function waitFor(p: ChildProcess, re: RegExp, stream: "stdout" | "stderr"): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    p[stream]!.on("data", (d: Buffer) => {
      out += d;
      if (re.test(out)) resolve();
    });
    p.once("exit", (code) => reject(new Error(`exited with ${code} before ${re}: ${out.slice(-2000)}`)));
  });
}

async function main(): Promise<void> {
  const N = policyParams("test").batchSize;
  const batches = Number(process.env.ZKLA_BENCH_BATCHES ?? 8);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-stream-bench-"));
  const children: ChildProcess[] = [];
  try {
    const deployment = await deployAnchor(hre, { profile: "test", threshold: 600n });
    const [signer] = await hre.ethers.getSigners();
    let nextId = 1;
    const file = (rows: number) => {
      const f = path.join(tmp, `apps-${nextId}.csv`);
      const lines = ["applicantId,score"];
      for (let i = 0; i < rows; i++, nextId++) lines.push(`${nextId},${(nextId * 7919) % 1200}`);
      fs.writeFileSync(f, lines.join("\n") + "\n");
      return f;
    };
    const base = { deployment, signer, runsDir: path.join(tmp, "runs"), pollMs: 10 };

    // 1. Start to first attested batch, 1,000 rows.
    let t0 = Date.now();
    let firstMs = 0;
    let planMs = 0;
    await attest({
      ...base,
      file: file(1000),
      onEvent: (e) => {
        if (e.type === "run-created") planMs = Date.now() - t0;
      },
      afterAttested: () => {
        firstMs = Date.now() - t0;
        throw new Stop("first batch attested");
      },
    }).catch((e: unknown) => {
      if (!(e instanceof Stop)) throw e;
    });
    log(`1,000 rows: planned in ${planMs} ms; first batch attested ${firstMs} ms after the start`);

    // 2. Throughput.
    const runs: Record<string, unknown>[] = [];
    const measure = async (name: string, extra: Record<string, unknown>) => {
      const rows = batches * N;
      const input = file(rows);
      t0 = Date.now();
      let firstAttestedMs = 0;
      const r = await attest({
        ...base,
        file: input,
        ...extra,
        afterAttested: () => {
          firstAttestedMs ||= Date.now() - t0;
        },
      });
      const ms = Date.now() - t0;
      const row = {
        name,
        batches,
        decisions: r.submission.decisionsSent,
        seconds: +(ms / 1000).toFixed(1),
        decisionsPerSec: +(r.submission.decisionsSent / (ms / 1000)).toFixed(3),
        firstAttestedSeconds: +(firstAttestedMs / 1000).toFixed(1),
      };
      runs.push(row);
      log(JSON.stringify(row));
    };
    await measure(`in-process pool (${defaultConcurrency()} workers)`, {});
    const redisOk = spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;
    if (redisOk) {
      const port = await freePort();
      const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(redis);
      await waitFor(redis, /Ready to accept connections/, "stdout");
      const url = `redis://127.0.0.1:${port}`;
      const startWorker = async () => {
        const w = spawn(process.execPath, [HARDHAT, "anchor:worker", "--queue", url, "--concurrency", "1", "--json"], {
          cwd: REPO_ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        });
        children.push(w);
        await waitFor(w, /"worker-ready"/, "stdout");
        return w;
      };
      const w1 = await startWorker();
      await measure("Redis queue, 1 worker process", { queue: url });
      const w2 = await startWorker();
      await measure("Redis queue, 2 worker processes", { queue: url });
      for (const w of [w1, w2]) w.kill("SIGTERM");
    } else log("redis-server is not installed: the queue runs are skipped");

    const result = {
      benchmark: "stream",
      date: new Date().toISOString(),
      machine: machineInfo(),
      profile: "test",
      batchSize: N,
      firstAttested: { rows: 1000, planMs, secondsToFirstAttested: +(firstMs / 1000).toFixed(1) },
      throughput: runs,
      notes: [
        "In-process Hardhat network (instant blocks); real test-profile proofs; the submitter verifies every queue result with snarkjs.",
        "Worker processes run on the same 2-core machine as the submitter, so 2 workers compete with it for the cores.",
      ],
    };
    const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "stream.json");
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`saved ${path.relative(REPO_ROOT, out)}`);
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await terminateCurves();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
