import os from "node:os";
import { snarkjsPlonkPatched, snarkjsVersion } from "../src/snark";

/** The machine a benchmark ran on, saved with its figures. */
export function machineInfo(): { cpus: number; model: string | undefined; memGB: number; node: string } {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** The machine of a combined result (bench/README.md `machine`), with the run's date. */
export function machine(date = new Date()): {
  cores: number;
  memoryGB: number;
  node: string;
  date: string;
  model?: string;
  snarkjs?: string;
} {
  const m = machineInfo();
  return {
    cores: m.cpus,
    memoryGB: m.memGB,
    node: m.node,
    date: date.toISOString(),
    model: m.model,
    snarkjs: snarkjsLabel(),
  };
}

/** The snarkjs the provers ran: its version, and whether the project's PLONK prover patch is applied. */
function snarkjsLabel(): string {
  return `${snarkjsVersion()} ${snarkjsPlonkPatched() ? "with the PLONK prover patch (patches/)" : "unpatched"}`;
}
