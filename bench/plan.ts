/**
 * How fast a run is planned, and with how much memory: `npx ts-node --transpile-only bench/plan.ts`
 * (ZKLA_BENCH_ROWS, default 200000; ZKLA_BENCH_PROFILE, default production (N = 16); ZKLA_BENCH_OUT,
 * default bench/results/plan.json). Writes a CSV of that many rows (ids 1..rows, random scores below
 * 2^32, no salts) to a temporary folder and plans it with the code anchor:prove runs before proving
 * (src/pipeline/run/session.ts: readApplications, then openRun: salts drawn, commitments and tape
 * digests, the chain of expected states, batches.jsonl / receipts.csv / plan.json written as it goes), without a
 * chain: the start state is nonce 0 and the genesis root of a made-up anchor's domain. The policy and
 * state models are the real ones, wrapped only to add up the time spent in each; the run store's
 * writes (PlanWriter add / commit) are timed the same way.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { machineInfo } from "./machine";
import { poseidonBackend } from "../src/hash";
import { anchorDomain, genesisRoot } from "../src/anchor/state";
import { REPO_ROOT, type Profile } from "../src/paths";
import { mulberry32 } from "../src/prng";
import { readApplications } from "../src/pipeline/run/input";
import { anchorStateModel, policyModel } from "../src/pipeline/run/models";
import { openRun } from "../src/pipeline/run/open";
import { PlanWriter } from "../src/pipeline/run/store";
import type { PolicyModel, RunContext, StateModel } from "../src/pipeline/types";
import { loanGuest } from "../src/zkvm/guest";

const log = (line: string) => process.stdout.write(line + "\n");
const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const secs = (ms: number) => +(ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const rows = Number(process.env.ZKLA_BENCH_ROWS ?? 200_000);
  const profile = (process.env.ZKLA_BENCH_PROFILE ?? "production") as Profile;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-plan-bench-"));
  try {
    const input = path.join(tmp, "applications.csv");
    const rnd = mulberry32(1);
    const lines = ["applicantId,score"];
    for (let i = 1; i <= rows; i++) lines.push(`${i},${Math.floor(rnd() * 2 ** 32)}`);
    fs.writeFileSync(input, lines.join("\n") + "\n");
    lines.length = 0;

    const anchor = "0x00000000000000000000000000000000000b3ec4";
    const domain = anchorDomain(31337n, anchor);
    const real = policyModel(profile);
    const context: RunContext = {
      chainId: 31337n,
      anchor,
      domain,
      policyId: 1n,
      methodId: loanGuest().methodId,
      threshold: 2n ** 31n,
      profile,
      batchSize: real.batchSize,
      scoreBits: real.scoreBits,
    };
    const spent = { evaluate: 0, nextStateRoot: 0, storeCreate: 0 };
    const policy: PolicyModel = {
      ...real,
      evaluate(batch, threshold) {
        const t = performance.now();
        const o = real.evaluate(batch, threshold);
        spent.evaluate += performance.now() - t;
        return o;
      },
    };
    const state: StateModel = {
      nextStateRoot(tr) {
        const t = performance.now();
        const r = anchorStateModel.nextStateRoot(tr);
        spent.nextStateRoot += performance.now() - t;
        return r;
      },
    };
    const add = PlanWriter.prototype.add;
    PlanWriter.prototype.add = function (this: PlanWriter, ...args: Parameters<typeof add>) {
      const t = performance.now();
      add.apply(this, args);
      spent.storeCreate += performance.now() - t;
    };
    const commit = PlanWriter.prototype.commit;
    PlanWriter.prototype.commit = function (this: PlanWriter, ...args: Parameters<typeof commit>) {
      const t = performance.now();
      const plan = commit.apply(this, args);
      spent.storeCreate += performance.now() - t;
      return plan;
    };
    const rssBeforeMB = Math.round(process.resourceUsage().maxRSS / 1024);
    log(`planning ${rows} rows (${profile} profile, batch size ${real.batchSize}) ...`);

    // What openRunSession does once the target is resolved: validate the file, then open (plan) the run.
    const t0 = performance.now();
    const validated = readApplications(input, { scoreBits: real.scoreBits });
    const tValidated = performance.now();
    const opened = await openRun({
      input,
      context,
      policy,
      state,
      readStart: async () => ({ nonce: 0n, root: genesisRoot(domain) }),
      runsDir: path.join(tmp, "runs"),
      validated,
    });
    const t1 = performance.now();
    PlanWriter.prototype.add = add;
    PlanWriter.prototype.commit = commit;

    const ms = t1 - t0;
    const planMs = t1 - tValidated;
    const size = (f: string) => fs.statSync(f).size;
    const files = {
      "plan.json": size(opened.store.planFile),
      "batches.jsonl": size(opened.store.batchesFile),
      "receipts.csv": size(opened.store.receiptsFile),
    };
    const result = {
      benchmark: "plan",
      date: new Date().toISOString(),
      machine: machineInfo(),
      profile,
      batchSize: real.batchSize,
      rows,
      batches: opened.plan.batches.length,
      seconds: secs(ms),
      appsPerSecond: Math.round(rows / (ms / 1000)),
      target: { appsPerSecond: 5000, met: rows / (ms / 1000) >= 5000 },
      hashBackend: poseidonBackend(),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssBeforePlanningMB: rssBeforeMB,
      files,
      filesMB: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, mb(v)])),
      phasesSeconds: {
        "read and validate the file (readApplications)": secs(tValidated - t0),
        "policy evaluation (commitments, tape digest)": secs(spent.evaluate),
        "state step (decisions root, next state root)": secs(spent.nextStateRoot),
        "run store writes (batches.jsonl, receipts.csv, plan.json)": secs(spent.storeCreate),
        "the rest of openRun (file hash, salts, fingerprints, batch slicing)": secs(
          planMs - spent.evaluate - spent.nextStateRoot - spent.storeCreate,
        ),
      },
      loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
      notes: [
        "Planning only: no chain (start state nonce 0 at the genesis root of a made-up anchor), no proof.",
        "anchor:prove also resolves the target on chain (a few RPC reads) before this.",
        "peakRssMB is the process's maximum resident set (process.resourceUsage().maxRSS), incl. Node itself and the generated CSV text.",
      ],
    };
    const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "plan.json");
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(JSON.stringify(result));
    log(`saved ${path.relative(REPO_ROOT, out)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
