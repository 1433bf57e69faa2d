/**
 * `npx hardhat circuits:build`: thin CLI over src/build (buildCircuits). Prints each step with its
 * duration, snarkjs progress for long steps, and a summary of what was built.
 */
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { BuildEvent } from "../src/build";

interface Args {
  profile: string;
  force: boolean;
  ptau?: string;
  only?: string;
  allowUnknownPtau: boolean;
  snarkjsLogs: boolean;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

task("circuits:build", "Compiles the circuits of circuits/registry.json, runs the trusted setup, exports verifiers")
  .addOptionalParam("profile", "Parameter profile: test | production", "test", types.string)
  .addFlag("force", "Rebuild every step even when its inputs are unchanged")
  .addOptionalParam(
    "ptau",
    "Prepared powers-of-tau file (required for production; checked against published hashes)",
    undefined,
    types.string,
  )
  .addOptionalParam("only", "Build only this circuit (comma-separated names allowed)", undefined, types.string)
  .addFlag("allowUnknownPtau", "UNSAFE: accept a --ptau whose hash is not published (the build is marked devOnly)")
  .addFlag("snarkjsLogs", "Print every snarkjs log line")
  .setAction(async (args: Args) => {
    // Imported lazily: snarkjs and circom2 are heavy and other tasks do not need them.
    const { buildCircuits, BuildError, CircomCompileError } = await import("../src/build");
    const { PROFILES } = await import("../src/paths");
    const profile = args.profile as (typeof PROFILES)[number];
    if (!PROFILES.includes(profile)) {
      throw new HardhatPluginError(
        "circuits:build",
        `--profile must be one of ${PROFILES.join(", ")}, got "${args.profile}"`,
      );
    }

    let lastProgress = 0;
    const onProgress = (e: BuildEvent): void => {
      const who = e.circuit ? `[${e.circuit}] ` : "";
      if (e.type === "step-start") {
        console.log(`${who}${e.step}: ${e.detail} ...`);
        lastProgress = Date.now();
      } else if (e.type === "step-end") {
        console.log(`${who}${e.step}: ${e.cached ? "unchanged, skipped" : `done in ${seconds(e.ms)}`}`);
      } else if (e.level === "warn" || e.level === "error") {
        console.log(`${who}  ${e.level}: ${e.message}`);
      } else if (args.snarkjsLogs) {
        console.log(`${who}  ${e.message}`);
      } else if (Date.now() - lastProgress > 5000) {
        // Long steps (dev ptau, large setups): one progress line every 5 s.
        lastProgress = Date.now();
        console.log(`${who}  ... ${e.message.split("\n")[0]}`);
      }
    };

    const t0 = Date.now();
    let result;
    try {
      result = await buildCircuits({
        profile,
        force: args.force,
        ptau: args.ptau,
        only: args.only?.split(",").map((s) => s.trim()),
        allowUnknownPtau: args.allowUnknownPtau,
        onProgress,
      });
    } catch (err) {
      // Expected failures: Hardhat prints the message without a stack trace and exits with status 1.
      if (err instanceof BuildError || err instanceof CircomCompileError) {
        throw new HardhatPluginError("circuits:build", (err as Error).message);
      }
      throw err;
    }
    console.log(
      `\nBuilt ${result.circuits.join(", ")} (${profile}) in ${seconds(Date.now() - t0)}; ${result.manifestFile}`,
    );
    for (const name of result.circuits) {
      const c = result.manifest.circuits[name];
      const gates = c.plonkGates === null ? "" : `, ${c.plonkGates} PLONK gates`;
      console.log(
        `  ${name}: ${c.proofSystem}, ${c.r1cs.constraints} constraints${gates}, needs 2^${c.power}, ptau 2^${c.ptau.power}` +
          ` -> ${c.verifier.contract}${c.devOnly ? "  [development only: not for production]" : ""}`,
      );
    }
  });
