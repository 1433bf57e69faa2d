/**
 * Setup times: `npx ts-node --transpile-only bench/setup.ts` (ZKLA_BENCH_PTAU_POWERS: dev ptau powers
 * to generate, comma-separated, default the dev power 13, "" for none; ZKLA_BENCH_PTAU: the production
 * build's ptau file, to time its setups too; ZKLA_BENCH_OUT, default bench/results/setup.json).
 *
 * The build manifest records no step times (it is byte-reproducible), so this redoes each setup as
 * the build does (src/build/setup.ts), in a temporary folder, from the build's r1cs (copied first:
 * another build may replace it meanwhile): the policy circuit's PLONK setup and the zkVM's Groth16
 * new + contribute + beacon + verify. The production zkeys' times are the ones their build recorded
 * (build/production/<circuit>/setup-timings.json, for the current zkey) unless ZKLA_BENCH_REDO_SETUP=1. A dev ptau of each power is generated the way the build makes
 * it (src/build/ptau.ts generatePtau: new, contribute, beacon, prepare phase 2), then deleted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { machineInfo } from "./machine";
import { DEV_PTAU_POWER, devPtauPath, generatePtau } from "../src/build/ptau";
import { readSetupTimings } from "../src/build";
import { groth16Setup, plonkSetup, stepRunner } from "../src/build/setup";
import { circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../src/paths";
import { terminateCurves } from "../src/snark";

const log = (line: string) => process.stdout.write(line + "\n");
const secs = (ms: number) => +(ms / 1000).toFixed(1);

async function main(): Promise<void> {
  const powers = (process.env.ZKLA_BENCH_PTAU_POWERS ?? String(DEV_PTAU_POWER)).split(",").filter(Boolean).map(Number);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-setup-bench-"));
  const ptau: Record<string, { seconds: number }> = {};
  const zkeys: Record<string, unknown> = {};
  try {
    const targets: { profile: Profile; ptauFile: string }[] = [
      { profile: "test", ptauFile: devPtauPath(DEV_PTAU_POWER) },
    ];
    if (process.env.ZKLA_BENCH_PTAU && fs.existsSync(manifestPath("production")))
      targets.push({ profile: "production", ptauFile: process.env.ZKLA_BENCH_PTAU });
    for (const { profile, ptauFile } of targets) {
      if (!fs.existsSync(ptauFile)) throw new Error(`${ptauFile} is missing: build the ${profile} circuits first`);
      const manifest = JSON.parse(fs.readFileSync(manifestPath(profile), "utf8"));
      for (const [circuit, entry] of Object.entries(manifest.circuits) as [string, Record<string, unknown>][]) {
        // A production setup takes about 20 minutes at 2^18: its times are the ones the build recorded
        // when it made the current zkey (ZKLA_BENCH_REDO_SETUP=1 redoes it instead).
        const recorded =
          profile === "production" && !process.env.ZKLA_BENCH_REDO_SETUP
            ? readSetupTimings(circuitPaths(circuit, profile).dir, entry.zkeyHash as string)
            : null;
        if (recorded) {
          zkeys[`${profile}/${circuit}`] = {
            seconds: recorded.seconds,
            proofSystem: entry.proofSystem,
            steps: recorded.steps,
            constraints: (entry.r1cs as { constraints: number }).constraints,
            plonkGates: entry.plonkGates ?? null,
            power: entry.power,
            source: `recorded by the build that made the zkey (${recorded.date}, ${recorded.cores} cores)`,
          };
          log(
            `${profile}/${circuit}: ${entry.proofSystem} setup ${recorded.seconds} s (recorded by the build) ${JSON.stringify(recorded.steps)}`,
          );
          continue;
        }
        const r1cs = path.join(tmp, `${profile}-${circuit}.r1cs`);
        fs.copyFileSync(circuitPaths(circuit, profile).r1cs, r1cs);
        const steps: Record<string, number> = {};
        const runner = stepRunner(circuit, (e) => {
          if (e.type === "step-end") steps[e.step] = secs(e.ms);
        });
        const paths = { r1cs, ptau: ptauFile, zkey: path.join(tmp, `${profile}-${circuit}.zkey`) };
        const t0 = Date.now();
        if (entry.proofSystem === "plonk") await plonkSetup(circuit, paths, runner);
        else await groth16Setup(circuit, paths, runner, profile === "test");
        const seconds = secs(Date.now() - t0);
        zkeys[`${profile}/${circuit}`] = {
          seconds,
          proofSystem: entry.proofSystem,
          steps,
          constraints: (entry.r1cs as { constraints: number }).constraints,
          plonkGates: entry.plonkGates ?? null,
          power: entry.power,
          source: "redone by this run",
        };
        log(`${profile}/${circuit}: ${entry.proofSystem} setup ${seconds} s ${JSON.stringify(steps)}`);
        fs.rmSync(paths.zkey, { force: true });
      }
    }
    for (const power of powers) {
      const t0 = Date.now();
      log(`generating a dev ptau 2^${power} (new, contribute, beacon, prepare phase 2)...`);
      await generatePtau(power, path.join(tmp, `dev_${power}.ptau`));
      ptau[String(power)] = { seconds: secs(Date.now() - t0) };
      log(`dev ptau 2^${power}: ${ptau[String(power)].seconds} s`);
      fs.rmSync(path.join(tmp, `dev_${power}.ptau`), { force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const result = {
    benchmark: "setup",
    date: new Date().toISOString(),
    machine: machineInfo(),
    loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
    ptau,
    zkeys,
    notes: [
      "Each test setup redone as the build does it (src/build/setup.ts) in a temporary folder; seconds are wall time, steps the build's own step timings. Production setups: the times their build recorded for the current zkey (source), unless ZKLA_BENCH_REDO_SETUP=1.",
      "ptau: a dev powers of tau generated as the build does (src/build/ptau.ts generatePtau), once per user in a real build.",
    ],
  };
  const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "setup.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  log(`saved ${path.relative(REPO_ROOT, out)}`);
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => terminateCurves());
