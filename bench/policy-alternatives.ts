/**
 * What one policy slot costs in PLONK gates, piece by piece, and what the alternatives to each piece
 * would cost: `npx ts-node bench/policy-alternatives.ts [--out FILE]` (about 1.5 minutes; no ptau,
 * no proof). Issue 13 asks for at most 800 gates per slot; this measures the routes to it before one
 * is built.
 *
 * Each probe template of bench/probes/policy_alternatives.circom is compiled twice (K and 2K
 * instances, `--O1` like the policy circuit) and its gates counted the way snarkjs plonk setup does
 * (src/build/r1cs.ts plonkGateCount), so one instance costs (gates(2K) - gates(K)) / K: the fixed
 * part (public signals) cancels. The routes add measured pieces: an estimate of a circuit not built,
 * printed beside the policy circuit's measured gates per slot at the production size (the committed
 * bench/results/latest.json, the benchmark report's own figure).
 * Saves JSON to bench/results/policy-alternatives.json (or --out).
 */
import fs from "node:fs";
import path from "node:path";
import { machineInfo } from "./machine";
import { lastBenchmark } from "../src/benchmark";
import { compileTemplate } from "../src/build/circom";
import { readR1csInfo } from "../src/build/r1cs";
import { REPO_ROOT } from "../src/paths";

const PROBE_FILE = "bench/probes/policy_alternatives.circom";
const SCORES_PER_WORD = 7; // 32-bit scores in one field element (224 of its 253 bits)

interface Probe {
  name: string;
  what: string;
  template: string;
  /** Template parameters for `k` instances. */
  params: (k: number) => number[];
  /** Instances per probe at the base size, and how many units (slots, words, scores) one instance is. */
  k: number;
  unit: "slot" | "word" | "score";
  unitsPerInstance: number;
}

const PROBES: Probe[] = [
  {
    name: "commitPoseidon3",
    what: "commitment today: circomlib Poseidon(3) (t = 4: tag, id + 2^72 score, salt)",
    template: "CommitPoseidon3",
    params: (k) => [k],
    k: 2,
    unit: "slot",
    unitsPerInstance: 1,
  },
  {
    name: "commitPoseidonEx2",
    what: "commitment with the tag as the initial state: PoseidonEx(2, 1) (t = 3)",
    template: "CommitPoseidonEx2",
    params: (k) => [k],
    k: 2,
    unit: "slot",
    unitsPerInstance: 1,
  },
  {
    name: "commitPoseidonEx1",
    what: "commitment with the salt as the initial state, tag, id and score in one word: PoseidonEx(1, 1) (t = 2)",
    template: "CommitPoseidonEx1",
    params: (k) => [k],
    k: 2,
    unit: "slot",
    unitsPerInstance: 1,
  },
  ...[15, 8, 4, 2].map((rate): Probe => ({
    name: `tapeSpongeRate${rate}`,
    what: `tape sponge, ${rate} words per permutation (circomlib Poseidon(${rate + 1}))${rate === 15 ? ": today's tape digest" : ""}`,
    template: "TapeSponge",
    params: (k) => [k * rate, rate],
    k: 2,
    unit: "word",
    unitsPerInstance: rate,
  })),
  {
    name: "packScores",
    what: `packing ${SCORES_PER_WORD} range-checked 32-bit scores into one tape word`,
    template: "PackScores",
    params: (k) => [k],
    k: 4,
    unit: "score",
    unitsPerInstance: SCORES_PER_WORD,
  },
  {
    name: "slotRanges",
    what: "range checks today: id step Num2Bits(64), score Num2Bits(32), LessEqThan(32)",
    template: "SlotRanges",
    params: (k) => [k],
    k: 2,
    unit: "slot",
    unitsPerInstance: 1,
  },
];

interface PieceFigure {
  what: string;
  unit: string;
  gatesPerUnit: number;
  gates: Record<string, number>;
}

async function gatesOf(probe: Probe, k: number, outDir: string): Promise<number> {
  const name = `${probe.name}_${k}`;
  await compileTemplate(
    { file: PROBE_FILE, template: probe.template, params: probe.params(k), publicInputs: [] },
    name,
    outDir,
    ["--O1"],
  );
  return (await readR1csInfo(path.join(outDir, `${name}.r1cs`))).plonkGates;
}

export async function runPolicyAlternatives(log: (line: string) => void = () => {}) {
  const outDir = path.join(REPO_ROOT, "build", "bench", "policy-alternatives");
  const pieces: Record<string, PieceFigure> = {};
  for (const probe of PROBES) {
    const base = await gatesOf(probe, probe.k, outDir);
    const double = await gatesOf(probe, 2 * probe.k, outDir);
    const perUnit = (double - base) / (probe.k * probe.unitsPerInstance);
    pieces[probe.name] = {
      what: probe.what,
      unit: probe.unit,
      gatesPerUnit: +perUnit.toFixed(1),
      gates: { [probe.k]: base, [2 * probe.k]: double },
    };
    log(`${perUnit.toFixed(1).padStart(7)} gates per ${probe.unit}  ${probe.what}`);
  }
  const g = (name: string) => pieces[name].gatesPerUnit;
  // A packed tape hashes one word per SCORES_PER_WORD scores (today's sponge), plus the packing.
  const packedTape = g("tapeSpongeRate15") / SCORES_PER_WORD + g("packScores");
  const route = (commitment: string, tapePerScore: number, what: string) => ({
    what,
    gatesPerSlot: Math.round(g(commitment) + tapePerScore + g("slotRanges")),
  });
  const routes = {
    today: route(
      "commitPoseidon3",
      g("tapeSpongeRate15"),
      "commitment Poseidon(3) + tape word per score (rate 15) + range checks",
    ),
    packedTape: route("commitPoseidon3", packedTape, "commitment Poseidon(3) + packed tape + range checks"),
    packedTapeTagInitialState: route(
      "commitPoseidonEx2",
      packedTape,
      "commitment PoseidonEx(2, 1) + packed tape + range checks",
    ),
    packedTapeSaltInitialState: route(
      "commitPoseidonEx1",
      packedTape,
      "commitment PoseidonEx(1, 1) + packed tape + range checks",
    ),
  };
  const measuredToday = committedGatesPerSlot();
  for (const r of Object.values(routes))
    log(`${String(r.gatesPerSlot).padStart(7)} gates per slot (estimate)  ${r.what}`);
  if (measuredToday) {
    log(
      `${String(measuredToday.gatesPerSlot).padStart(7)} gates per slot measured today (the policy circuit at N = ${measuredToday.batchSize}, bench/results/latest.json)`,
    );
  }
  return {
    benchmark: "policy-alternatives",
    date: new Date().toISOString(),
    machine: machineInfo(),
    target: { gatesPerSlot: 800 },
    pieces,
    routes,
    measuredToday,
    notes: [
      `Pieces: (gates(2K) - gates(K)) / K of the probe templates in ${PROBE_FILE}, compiled with --O1; gates counted as snarkjs plonk setup does (src/build/r1cs.ts).`,
      "Routes: sums of measured pieces, an estimate for circuits not built; the small per-slot constraints of the policy circuit (active bit, prefix, zero slots, decision bit) are left out.",
      `A packed tape holds ${SCORES_PER_WORD} scores of at most 32 bits per word; the zkVM would have to range-check and pack the same words before its tape digest.`,
    ],
  };
}

/** The policy circuit's gates per slot at the production size in the committed benchmark, if any. */
function committedGatesPerSlot(): { batchSize: number; gatesPerSlot: number } | null {
  const last = lastBenchmark();
  if (last.missing) return null;
  const check = last.checks.find((c) => c.id === "gatesPerSlot");
  return check ? { batchSize: last.batchSize, gatesPerSlot: Math.round(check.figure) } : null;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  (async () => {
    const out = arg("out") ?? path.join(REPO_ROOT, "bench", "results", "policy-alternatives.json");
    const report = await runPolicyAlternatives((line) => console.log(line));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
    console.log(`saved ${path.relative(REPO_ROOT, out)}`);
  })().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
