/**
 * The demo (`npm run demo`): deploy the test profile, attest a seeded sample (or a given file) through
 * the script API, audit the anchor, and summarise what happened against the chain. Never prints:
 * progress goes to `log` and `onEvent`; tasks/anchor/demo.ts renders the summary, then the production
 * figures of the last committed benchmark (bench/results/latest.json), which the summary carries.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deployAnchor } from "./anchor/deploy";
import { prove, submit } from "./api";
import { auditAnchor } from "./audit/audit";
import { lastBenchmark, type BenchmarkHeadline } from "./benchmark";
import { UsageError } from "./errors";
import { circuitPaths } from "./paths";
import { readAnchorView } from "./anchor/contract";
import type { EventSink } from "./pipeline/events";
import { defaultConcurrency } from "./pipeline/proving/prove";
import { finalRoot } from "./pipeline/run/plan";
import { sampleApplicationsCsv } from "./pipeline/run/sample";

export interface DemoOptions {
  /** Applications file instead of the seeded sample. */
  input?: string;
  /** Size of the seeded sample. */
  applications: number;
  seed: number;
  threshold: bigint;
  /** Prover processes (0: CPU count). */
  concurrency: number;
  runsDir: string;
}

export interface DemoSummary {
  network: string;
  anchor: string;
  runFolder: string;
  batches: number;
  batchSize: number;
  decisions: number;
  approved: number;
  denied: number;
  threshold: string;
  concurrency: number;
  provedBatches: number;
  reusedBatches: number;
  provingWallMs: number;
  provingMsPerBatch: number;
  batchesPerMinute: number;
  sent: number;
  submitMs: number;
  attestGas: string;
  gasPerBatch: number;
  gasPerDecision: number;
  finalStateRoot: string;
  finalRootMatchesPlan: boolean;
  anchorNonce: string;
  decisionCountOnChain: string;
  /** "pass", or the checks that did not pass. */
  audit: "pass" | string[];
  auditChecks: number;
  auditedBatches: number;
  wallMs: number;
  /** The production figures of the last committed benchmark (`missing` when there is none). */
  lastBenchmark: BenchmarkHeadline;
}

const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

export async function runDemo(
  hre: HardhatRuntimeEnvironment,
  o: DemoOptions,
  log: (line: string) => void = () => {},
  onEvent?: EventSink,
): Promise<DemoSummary> {
  const t0 = Date.now();
  for (const c of ["policy", "zkvm"] as const) {
    if (!fs.existsSync(circuitPaths(c, "test").zkey))
      throw new UsageError(
        `the test-profile ${c} circuit is not built`,
        "run npm run demo (or npm run build:circuits -- --profile test) first",
      );
  }
  if (hre.network.name !== "hardhat") log(`note: running on network "${hre.network.name}", not the in-process network`);
  await hre.run("compile", { quiet: true });
  log(`deploying verifiers and StateAnchor (test profile) on ${hre.network.name}...`);
  const deployment = await deployAnchor(hre, { profile: "test", threshold: o.threshold });
  const stamp = new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
  const runsDir = path.resolve(o.runsDir);
  let input = o.input;
  if (!input) {
    fs.mkdirSync(runsDir, { recursive: true, mode: 0o700 });
    input = path.join(runsDir, `demo-${stamp}-applications.csv`);
    fs.writeFileSync(input, sampleApplicationsCsv(o.applications, o.seed), { mode: 0o600 });
    log(`sample: ${o.applications} applications (seed ${o.seed}) in ${input}`);
  }
  const concurrency = o.concurrency || defaultConcurrency();
  const [signer] = await hre.ethers.getSigners();
  const request = {
    deployment,
    file: input,
    run: `demo-${stamp}`,
    runsDir,
    policyId: BigInt(deployment.policies.at(-1)!.policyId),
    onEvent,
  };
  const tProve = Date.now();
  const proved = await prove({ ...request, provider: hre.ethers.provider, concurrency });
  const proveMs = Date.now() - tProve;
  const tSubmit = Date.now();
  const { submission } = await submit({ ...request, signer, pollMs: 10 }, proved);
  const submitMs = Date.now() - tSubmit;
  const address = deployment.contracts.stateAnchor.address;
  const view = await readAnchorView(address, hre.ethers.provider);
  const audit = await auditAnchor(address, hre.ethers.provider, {
    fromBlock: deployment.contracts.stateAnchor.blockNumber,
  });
  const plan = proved.plan;
  const decisions = plan.batches.reduce((n, b) => n + b.activeCount, 0);
  let approved = 0;
  for (const { batch: b } of proved.store.readBatches())
    approved += b.applications.filter((_a, i) => (b.outcome.decisionBits >> BigInt(i)) & 1n).length;
  const p = proved.proving;
  return {
    network: hre.network.name,
    anchor: address,
    runFolder: proved.store.dir,
    batches: plan.batches.length,
    batchSize: plan.batchSize,
    decisions,
    approved,
    denied: decisions - approved,
    threshold: plan.threshold.toString(),
    concurrency,
    provedBatches: p.proved,
    reusedBatches: p.reused,
    provingWallMs: proveMs,
    provingMsPerBatch: p.proved ? Math.round(p.batchMs / p.proved) : 0,
    batchesPerMinute: p.proved ? +((p.proved * 60_000) / proveMs).toFixed(2) : 0,
    sent: submission.sent,
    submitMs,
    attestGas: submission.gasUsed.toString(),
    gasPerBatch: submission.sent ? Number(submission.gasUsed / BigInt(submission.sent)) : 0,
    gasPerDecision: submission.decisionsSent ? Number(submission.gasUsed / BigInt(submission.decisionsSent)) : 0,
    finalStateRoot: hex(view.stateRoot),
    finalRootMatchesPlan: view.stateRoot === finalRoot(plan),
    anchorNonce: view.nonce.toString(),
    decisionCountOnChain: view.decisionCount.toString(),
    audit:
      audit.verdict === "pass"
        ? "pass"
        : audit.checks
            .filter((c) => c.status !== "pass")
            .map((c) => `${c.status} ${c.check} ${c.subject}: ${c.reason}`),
    auditChecks: audit.checks.length,
    auditedBatches: audit.batches.length,
    wallMs: Date.now() - t0,
    lastBenchmark: lastBenchmark(),
  };
}
