/**
 * Rendering of the anchor:* tasks: pipeline events as plain log lines or a progress bar (counts and
 * ETA) on a terminal, or one JSON object per line with --json (nothing else on stdout then). Test hook:
 * ZKLA_CRASH_AFTER=<event-type>:<n> SIGKILLs the process after the n-th such event.
 */
import path from "node:path";
import type { StatusReport } from "../../src/api";
import { utc } from "../../src/audit/report";
import type { BenchmarkHeadline, TargetCheck } from "../../src/benchmark";
import type { DemoSummary } from "../../src/demo";
import { describeEvent } from "../../src/pipeline/describe";
import type { PipelineEvent } from "../../src/pipeline/events";
import { REPO_ROOT } from "../../src/paths";

export const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** JSON with big numbers as decimal strings. */
export const toJson = (value: unknown, indent?: number) =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), indent);

/**
 * Renders pipeline events; `streaming` (anchor:attest) keeps the bars up after proving ends, since
 * submission goes on. Test hook: ZKLA_CRASH_AFTER=<event-type>:<n> SIGKILLs this process after the n-th such event. */
export function renderer(
  json: boolean,
  write?: (line: string) => void,
  streaming = false,
  now: () => number = Date.now,
) {
  const tty = !json && !write && process.stdout.isTTY === true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  let multi: import("cli-progress").MultiBar | undefined;
  const bars: Partial<Record<"plan" | "prove" | "submit", import("cli-progress").SingleBar>> = {};
  const crash = /^([a-z-]+):(\d+)$/.exec(process.env.ZKLA_CRASH_AFTER ?? "");
  let crashCount = 0;
  const print = (line: string) => (multi ? multi.log(line + "\n") : (write ?? console.log)(line));
  const stop = () => {
    multi?.stop();
    multi = undefined;
    for (const k of Object.keys(bars)) delete bars[k as keyof typeof bars];
  };
  const bar = (kind: "plan" | "prove" | "submit", total: number, unit: string) => {
    multi ??= new cliProgress.MultiBar(
      {
        format: "{step} |{bar}| {value}/{total} {unit} | {duration_formatted} elapsed | ETA {eta_formatted}",
        hideCursor: true,
        etaBuffer: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    bars[kind] ??= multi.create(total, 0, { step: kind.padEnd(7), unit });
    return bars[kind]!;
  };
  const counts: Partial<Record<"prove" | "submit", Progress>> = {};
  // Without a terminal, planning reports every tenth of the way with an estimate of the time left.
  let planStarted: number | undefined;
  let planTenths = 0;
  const sink = (e: PipelineEvent) => {
    if (json) console.log(toJson(e));
    else if (e.type === "plan-progress") {
      if (tty) bar("plan", e.total, "applications").update(e.applications);
      // (only for planning that takes a while: a small file is planned before a line would help)
      else if (
        now() - (planStarted ??= now()) >= 1000 &&
        e.total > 0 &&
        Math.floor((10 * e.applications) / e.total) > planTenths
      ) {
        planTenths = Math.floor((10 * e.applications) / e.total);
        const elapsed = now() - planStarted!;
        const eta = (elapsed / e.applications) * (e.total - e.applications);
        print(`planning: ${e.applications}/${e.total} applications, ${secs(elapsed)} elapsed, ETA ${secs(eta)}`);
      }
    } else if (bars.prove && (e.type === "batch-proving" || e.type === "batch-proved")) {
      if (e.type === "batch-proved") bars.prove.increment();
    } else {
      if (bars.submit && (e.type === "batch-attested" || e.type === "batch-already-attested")) bars.submit.increment();
      const lines = describeEvent(e);
      // Without a terminal, proving and submission lines carry the count so far and an estimate of the time left.
      if (!tty && lines.length) {
        if (e.type === "prove-start") counts.prove = { done: 0, total: e.toProve, t0: now() };
        if (e.type === "submit-start") counts.submit = { done: 0, total: e.total, t0: now() };
        const c =
          e.type === "batch-proved"
            ? counts.prove
            : /^batch-(already-)?attested$/.test(e.type)
              ? counts.submit
              : undefined;
        if (c) lines[0] += ` [${progressText(c, now())}]`;
      }
      for (const line of lines) print(line);
      if (tty && e.type === "prove-start" && e.toProve > 0) bar("prove", e.toProve, "batches");
      if (tty && e.type === "submit-start" && e.total > 0) bar("submit", e.total, "batches");
      if (e.type === "submit-done" || (e.type === "prove-done" && !bars.submit && !streaming)) stop();
    }
    if (crash && e.type === crash[1] && ++crashCount === Number(crash[2])) process.kill(process.pid, "SIGKILL");
  };
  return { sink, stop };
}

interface Progress {
  done: number;
  total: number;
  t0: number;
}

/** "3/10, ETA 42.0 s" after one more item is done (the rate so far times what is left). */
function progressText(c: Progress, now: number): string {
  c.done++;
  const left = ((now - c.t0) / c.done) * Math.max(0, c.total - c.done);
  return `${c.done}/${c.total}${c.done < c.total ? `, ETA ${secs(left)}` : ""}`;
}

/** anchor:status as data (big numbers stay bigints: print with toJson). */
export function statusJson(network: string, file: string, s: StatusReport) {
  const v = s.view;
  return {
    network,
    chainId: s.chainId,
    deployment: s.profile ? file : null,
    profile: s.profile,
    anchor: s.anchor,
    codeMatchesManifest: s.codeMatchesManifest,
    blockNumber: v.blockNumber,
    stateRoot: hex(v.stateRoot),
    nonce: v.nonce,
    decisionCount: v.decisionCount,
    domain: v.domain,
    paused: s.paused,
    policies: v.policies.map((x) => ({
      ...x,
      activeFromUtc: utc(x.activeFrom),
      retiredFromUtc: x.retiredFrom ? utc(x.retiredFrom) : null,
    })),
    flags: s.flags.map((f) => ({ status: f.status, check: f.check, subject: f.subject, reason: f.reason })),
  };
}

export function statusLines(out: ReturnType<typeof statusJson>): string[] {
  return [
    `StateAnchor ${out.anchor} on ${out.network} (chain ${out.chainId})${out.profile ? `, profile ${out.profile}` : ""}${out.codeMatchesManifest === false ? " (code differs from the manifest!)" : ""}`,
    `  at block ${out.blockNumber}: nonce ${out.nonce}, ${out.decisionCount} decision(s) attested${out.paused ? ", PAUSED" : ""}`,
    `  state root ${out.stateRoot}`,
    `  domain     ${out.domain}`,
    ...out.policies.map(
      (x) =>
        `  policy ${x.policyId}: ${x.status} (from ${x.activeFromUtc}${x.retiredFromUtc ? `, retired from ${x.retiredFromUtc}` : ""}), threshold ${x.threshold}, batch size ${x.batchSize}, method ${x.methodId}, verifier ${x.verifier}`,
    ),
    ...out.flags.map((f) => `  FLAG ${f.check} ${f.subject}: ${f.reason}`),
    ...(out.flags.length ? [] : ["  no flags (run anchor:audit for every check)"]),
  ];
}

/** The demo summary for a person. */
export function demoSummaryLines(s: DemoSummary): string[] {
  return [
    "",
    `demo summary (network ${s.network}, in-process; test-profile circuits with a development-only setup)`,
    `  batches           ${s.batches} of up to ${s.batchSize} (${s.decisions} decisions: ${s.approved} approved, ${s.denied} denied; threshold ${s.threshold})`,
    `  proving           ${s.provedBatches} batch(es) proved + verified in ${secs(s.provingWallMs)} with ${s.concurrency} worker(s) (${secs(s.provingMsPerBatch)} per batch in a worker, ${s.batchesPerMinute} batches/min)`,
    `  submission        ${s.sent} attest transaction(s) in ${secs(s.submitMs)}; gas ${s.attestGas} total, ${s.gasPerBatch} per batch, ${s.gasPerDecision} per decision`,
    `  final state root  ${s.finalStateRoot} (nonce ${s.anchorNonce}, ${s.decisionCountOnChain} decisions on chain; ${s.finalRootMatchesPlan ? "matches the plan" : "DOES NOT match the plan"})`,
    `  audit             ${s.audit === "pass" ? `pass: ${s.auditChecks} checks (verifiers are the generated ones, guest known, ${s.auditedBatches} batch(es) re-verified, every root matches the chain)` : `FAILED: ${s.audit.join("; ")}`}`,
    `  run folder        ${s.runFolder} (private: scores and salts in receipts.csv)`,
    `  wall time         ${secs(s.wallMs)}`,
    "",
    benchmarkLine(s.lastBenchmark),
  ];
}

const CHECK_LABELS: Record<TargetCheck["id"], (c: TargetCheck) => string> = {
  gasPerDecision: (c) => `${c.shown} gas per decision`,
  policyVerifier: (c) => `policy verifier ${c.figure.toFixed(2)}x its precompile floor + calldata`,
  zkvmVerifier: (c) => `zkVM verifier ${c.figure.toFixed(2)}x its precompile floor + calldata`,
  speedupVsNaive: (c) => `pipeline ${c.shown} the naive flow's decisions per second`,
  constraintsPerStep: (c) => `zkVM ${c.shown} constraints per step`,
  gatesPerSlot: (c) => `policy ${c.shown} PLONK gates per slot`,
  proofCpuSecondsPerDecision: (c) => `${c.shown} CPU-seconds of proving per decision`,
};

/** One line: the production figures of the last committed benchmark, each with its target. */
export function benchmarkLine(h: BenchmarkHeadline): string {
  if (h.missing)
    return `Production (last committed benchmark): none, ${path.relative(REPO_ROOT, h.file)} is ${h.problem ? `unreadable (${h.problem})` : "absent"} (npm run bench -- --save writes it)`;
  const figures = h.checks.map(
    (c) => `${CHECK_LABELS[c.id](c)} (${c.where ? `${c.where}; ` : ""}target ${c.target}: ${c.met ? "met" : "MISSED"})`,
  );
  return `Production (last committed benchmark, ${h.date}${h.mode === "quick" ? ", quick run" : ""}, N = ${h.batchSize}): ${figures.join("; ")}`;
}
