import os from "node:os";

/** The machine a benchmark ran on, saved with its figures. */
export function machineInfo(): { cpus: number; model: string | undefined; memGB: number; node: string } {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}
