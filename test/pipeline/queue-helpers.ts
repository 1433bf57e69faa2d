/** Helpers of the queue tests: a redis-server on a loopback port, processes printing JSON events, pool jobs of a plan. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { RunStore } from "../../src/pipeline";
import { poolJob } from "../../src/pipeline/proving/prove";
import type { RunPlan } from "../../src/pipeline/types";
import type { PoolJob } from "../../src/pipeline/proving/pool";
import { REPO_ROOT } from "../../src/paths";

export const HAVE_REDIS = spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;
export const NO_REDIS = "    redis-server is not installed (apt-get install redis-server): skipping the queue tests";

export function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

export function stopProcess(p: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill(signal);
  });
}

/** redis-server on 127.0.0.1:`port`, without persistence (a restart starts empty). */
export async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (d: Buffer) => {
      out += d;
      if (/Ready to accept connections/.test(out)) resolve();
    });
    p.on("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return p;
}

export type Ev = Record<string, unknown> & { type: string };

/** A process in the repository whose stdout carries one JSON event per line. */
export class EventProcess {
  readonly events: Ev[] = [];
  readonly proc: ChildProcess;
  stderr = "";
  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, REPORT_GAS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    this.proc.stdout!.on("data", (d: Buffer) => {
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith("{")) this.events.push(JSON.parse(line) as Ev);
    });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d));
  }
  of(type: string): Ev[] {
    return this.events.filter((e) => e.type === type);
  }
  /** Resolves on the worker's worker-ready event; rejects when it exits first. */
  ready(ms = 30_000): Promise<void> {
    return until(() => this.of("worker-ready").length > 0 || this.proc.exitCode !== null, "a worker", ms).then(() => {
      if (this.of("worker-ready").length === 0) throw new Error(`the worker did not start: ${this.stderr}`);
    });
  }
  proved(): number[] {
    return this.of("job-proved").map((e) => Number(e.index));
  }
}

/** What proveRun hands to the pool or the queue, for every batch of a plan. */
export function poolJobs(plan: RunPlan, store: RunStore): PoolJob[] {
  return plan.batches.map((head) => poolJob(plan, store.readBatch(head.index)));
}
