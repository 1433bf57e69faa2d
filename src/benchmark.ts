/**
 * The combined benchmark result (`npm run bench`, bench/README.md documents the schema) and its
 * targets, shared by the bench report (bench/report.ts) and the demo, which shows the production
 * figures of the last committed result. Reads files, never prints.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./paths";

/** Where `npm run bench -- --save` writes the committed result. */
export const LATEST_BENCHMARK = path.join(REPO_ROOT, "bench", "results", "latest.json");

export type GasSource = "real proofs" | "mock verifiers";

/** Gas per decision of a full batch of one size (attest gas / batch size), split by where it goes. */
export interface GasPerDecision {
  total: number;
  policyVerifier: number;
  zkvmVerifier: number;
  stateUpdate: number;
  calldata: number;
  /** The rest: the 21,000 base and the anchor's own checks and signal building. */
  other: number;
  source: GasSource;
  /** Why the figure is not reachable as measured, e.g. a verifier too large to deploy. */
  note?: string;
}

export interface VerifierGas {
  /** verifyProof transaction gas with a real proof, minus the 21,000 base (so calldata included). */
  measured: number;
  /** EVM precompile cost of the verifier for that many public inputs (bench/README.md). */
  floor: number;
  publicInputs: number;
  /** Calldata cost of that verifyProof call (4 gas per zero byte, 16 per other byte). */
  calldata: number;
  /** measured / (floor + calldata). */
  ratio: number;
  profile: string;
}

export interface BenchmarkResult {
  schema: 1;
  mode: "full" | "quick";
  date: string;
  productionBatchSize: number;
  testBatchSize: number;
  gasPerDecision: Record<string, GasPerDecision>;
  verifierGas: { policy: VerifierGas; zkvm: VerifierGas };
  throughput: {
    pipelineDecisionsPerSec: number;
    naiveDecisionsPerSec: number;
    speedupVsNaive: number;
    naiveGasPerDecision: number;
    [k: string]: unknown;
  };
  policy: Record<
    string,
    {
      r1cs: number;
      plonkGates: number;
      gatesPerSlot: number;
      gatesPerSlotAverage: number;
      proveSeconds: number | null;
      /** CPU time of that prove (main thread + curve workers), when measured. */
      proveCpuSeconds?: number | null;
      peakRssMB: number | null;
    }
  >;
  zkvm: {
    constraintsPerStep: number;
    stepSlope: number;
    productionT: number;
    sizes: Record<
      string,
      { constraints: number; proveSeconds: number | null; proveCpuSeconds?: number | null; peakRssMB: number | null }
    >;
  };
  setup: {
    ptau: Record<string, { seconds: number | null; note?: string }>;
    zkeys: Record<string, { seconds: number; proofSystem: string; steps: Record<string, number> }>;
  };
  machine: { cores: number; memoryGB: number; node: string; date: string; model?: string; snarkjs?: string };
  notes: string[];
  [k: string]: unknown;
}

/** The targets of issue 13, in the order they are shown. */
export const TARGETS = {
  gasPerDecision: 10_000,
  verifierOverFloor: 1.05,
  speedupVsNaive: 5,
  constraintsPerStep: 300,
  gatesPerSlot: 800,
  proofCpuSecondsPerDecision: 2,
} as const;

export interface TargetCheck {
  id:
    | "gasPerDecision"
    | "policyVerifier"
    | "zkvmVerifier"
    | "speedupVsNaive"
    | "constraintsPerStep"
    | "gatesPerSlot"
    | "proofCpuSecondsPerDecision";
  /** What is measured, e.g. "gas per decision at N = 16 (mock verifiers)". */
  what: string;
  figure: number;
  /** The figure as shown, e.g. "40,093" or "1.12x". */
  shown: string;
  /** The target as shown, e.g. "<= 10,000". */
  target: string;
  met: boolean;
  /** Where the figure comes from when it is not the production size itself, e.g. "test profile, 6 public inputs". */
  where?: string;
}

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const times = (x: number) => `${x.toFixed(2)}x`;

/** Checks each target against a result (a target whose figure is missing is not listed). */
export function evaluateTargets(r: BenchmarkResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const N = r.productionBatchSize;
  const gas = r.gasPerDecision?.[String(N)];
  if (gas)
    out.push({
      id: "gasPerDecision",
      what: `gas per decision at N = ${N} (${gas.source})`,
      figure: gas.total,
      shown: int(gas.total),
      target: `<= ${int(TARGETS.gasPerDecision)}`,
      met: gas.total <= TARGETS.gasPerDecision,
      where: gas.source === "mock verifiers" ? "estimated with mock verifiers" : "real proofs",
    });
  for (const v of ["policy", "zkvm"] as const) {
    const g = r.verifierGas?.[v];
    if (!g) continue;
    out.push({
      id: v === "policy" ? "policyVerifier" : "zkvmVerifier",
      what: `${v === "policy" ? "policy (PLONK)" : "zkVM (Groth16)"} verifier gas / (floor + calldata), ${g.publicInputs} public inputs`,
      figure: g.ratio,
      shown: `${times(g.ratio)} (${int(g.measured)} / ${int(g.floor + g.calldata)})`,
      target: `<= ${times(TARGETS.verifierOverFloor)}`,
      met: g.ratio <= TARGETS.verifierOverFloor,
      where: `${g.profile} profile, ${g.publicInputs} public inputs`,
    });
  }
  const pipeline = r.throughput?.pipeline as { profile?: string } | undefined;
  if (r.throughput && Number.isFinite(r.throughput.speedupVsNaive))
    out.push({
      id: "speedupVsNaive",
      what: "pipeline decisions per second / the naive flow's",
      figure: r.throughput.speedupVsNaive,
      shown: times(r.throughput.speedupVsNaive),
      target: `>= ${TARGETS.speedupVsNaive}x`,
      met: r.throughput.speedupVsNaive >= TARGETS.speedupVsNaive,
      where: pipeline?.profile ? `${pipeline.profile} profile` : undefined,
    });
  if (r.zkvm && Number.isFinite(r.zkvm.constraintsPerStep))
    out.push({
      id: "constraintsPerStep",
      what: `zkVM constraints per step at T = ${r.zkvm.productionT} (total / T)`,
      figure: r.zkvm.constraintsPerStep,
      shown: r.zkvm.constraintsPerStep.toFixed(1),
      target: `<= ${TARGETS.constraintsPerStep}`,
      met: r.zkvm.constraintsPerStep <= TARGETS.constraintsPerStep,
    });
  const policy = r.policy?.[String(N)];
  if (policy)
    out.push({
      id: "gatesPerSlot",
      what: `policy PLONK gates per slot at N = ${N}`,
      figure: policy.gatesPerSlot,
      shown: int(policy.gatesPerSlot),
      target: `<= ${TARGETS.gatesPerSlot}`,
      met: policy.gatesPerSlot <= TARGETS.gatesPerSlot,
    });
  const cpu = proofCpuSecondsPerDecision(r);
  if (cpu !== null)
    out.push({
      id: "proofCpuSecondsPerDecision",
      what: `CPU-seconds of both proofs per decision at N = ${N} (policy PLONK + zkVM Groth16 of a full batch, / N)`,
      figure: cpu,
      shown: cpu.toFixed(2),
      target: `<= ${TARGETS.proofCpuSecondsPerDecision}`,
      met: cpu <= TARGETS.proofCpuSecondsPerDecision,
    });
  return out;
}

/**
 * (CPU-seconds of the policy proof at N + of the zkVM proof at the production T) / N, or null when
 * either prove was not measured (CPU time: user + system of the proving process, curve workers included).
 */
export function proofCpuSecondsPerDecision(r: BenchmarkResult): number | null {
  const N = r.productionBatchSize;
  const policy = r.policy?.[String(N)]?.proveCpuSeconds;
  const zkvm = r.zkvm?.sizes?.[String(r.zkvm.productionT)]?.proveCpuSeconds;
  if (typeof policy !== "number" || typeof zkvm !== "number") return null;
  return Math.round(((policy + zkvm) / N) * 100) / 100;
}

/** The production figures of a saved result, for the demo; `missing` when there is no file. */
export type BenchmarkHeadline =
  /** No usable result: the file is absent, or `problem` says why it could not be read. */
  | { file: string; missing: true; problem?: string }
  | {
      file: string;
      missing: false;
      /** Day of the run (YYYY-MM-DD). */
      date: string;
      mode: "full" | "quick";
      batchSize: number;
      gasPerDecision: number;
      gasSource: GasSource;
      checks: TargetCheck[];
    };

/**
 * Reads the last committed benchmark (bench/results/latest.json unless `file` is given). Never throws:
 * the demo shows it after its own work, which a bad file must not fail.
 */
export function lastBenchmark(file = LATEST_BENCHMARK): BenchmarkHeadline {
  if (!fs.existsSync(file)) return { file, missing: true };
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as BenchmarkResult;
    const N = r.productionBatchSize;
    const gas = r.gasPerDecision[String(N)];
    if (!gas) throw new Error(`no gasPerDecision for the production size ${N}`);
    return {
      file,
      missing: false,
      date: r.date.slice(0, 10),
      mode: r.mode,
      batchSize: N,
      gasPerDecision: gas.total,
      gasSource: gas.source,
      checks: evaluateTargets(r),
    };
  } catch (e) {
    return { file, missing: true, problem: (e as Error).message.split("\n")[0] };
  }
}
