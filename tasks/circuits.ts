/**
 * `npx hardhat circuits:build`: thin CLI over src/build (buildCircuits). Prints each step with its
 * duration, snarkjs progress for long steps, and a summary of what was built.
 */
import { task, types } from "hardhat/config";
import { UsageError, ZklaError } from "../src/errors";
import { command } from "./anchor/cli";
import type { BuildEvent } from "../src/build";

interface Args {
  profile: string;
  force: boolean;
  ptau?: string;
  only?: string;
  allowUnknownPtau: boolean;
  snarkjsLogs: boolean;
  json: boolean;
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
  .addFlag("json", "print the build summary as one JSON object on stdout (progress on stderr)")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      // Imported lazily: snarkjs and circom2 are heavy and other tasks do not need them.
      const { buildCircuits, BuildError, CircomCompileError } = await import("../src/build");
      const { PROFILES } = await import("../src/paths");
      const profile = args.profile as (typeof PROFILES)[number];
      if (!PROFILES.includes(profile)) {
        throw new UsageError(`--profile must be one of ${PROFILES.join(", ")}, got "${args.profile.slice(0, 80)}"`);
      }

      // With --json, stdout carries the summary alone: progress goes to stderr.
      const out = (line: string) => (args.json ? console.error(line) : console.log(line));
      let lastProgress = 0;
      const onProgress = (e: BuildEvent): void => {
        const who = e.circuit ? `[${e.circuit}] ` : "";
        if (e.type === "step-start") {
          out(`${who}${e.step}: ${e.detail} ...`);
          lastProgress = Date.now();
        } else if (e.type === "step-end") {
          out(`${who}${e.step}: ${e.cached ? "unchanged, skipped" : `done in ${seconds(e.ms)}`}`);
        } else if (e.level === "warn" || e.level === "error") {
          out(`${who}  ${e.level}: ${e.message}`);
        } else if (args.snarkjsLogs) {
          out(`${who}  ${e.message}`);
        } else if (Date.now() - lastProgress > 5000) {
          // Long steps (dev ptau, large setups): one progress line every 5 s.
          lastProgress = Date.now();
          out(`${who}  ... ${e.message.split("\n")[0]}`);
        }
      };

      const t0 = Date.now();
      // The optional native hash addon first (seconds once, then skipped while its sources are unchanged).
      const { buildNativePoseidon } = await import("../src/build/native");
      const native = buildNativePoseidon({
        force: args.force,
        onStart: (detail) => out(`native-poseidon: ${detail} ...`),
      });
      if (native.cached) out("native-poseidon: unchanged, skipped");
      else if (native.built) out(`native-poseidon: done in ${seconds(native.ms)} (${native.tool}) -> ${native.file}`);
      else out(`native-poseidon: not built, hashing uses poseidon-lite (slower, same values): ${native.reason}`);
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
        // Expected failures: said once, without a stack trace, exit 1.
        if (err instanceof BuildError || err instanceof CircomCompileError) {
          throw new ZklaError("build-failed", (err as Error).message);
        }
        throw err;
      }
      if (args.json) {
        const circuits = Object.fromEntries(
          result.circuits.map((name) => {
            const c = result.manifest.circuits[name];
            return [
              name,
              {
                proofSystem: c.proofSystem,
                constraints: c.r1cs.constraints,
                plonkGates: c.plonkGates,
                power: c.power,
                ptauPower: c.ptau.power,
                verifierContract: c.verifier.contract,
                devOnly: c.devOnly,
              },
            ];
          }),
        );
        const nativePoseidon = { built: native.built, cached: native.cached, file: native.file, reason: native.reason };
        console.log(
          JSON.stringify(
            { profile, manifest: result.manifestFile, ms: Date.now() - t0, circuits, nativePoseidon },
            null,
            2,
          ),
        );
        return;
      }
      out(`\nBuilt ${result.circuits.join(", ")} (${profile}) in ${seconds(Date.now() - t0)}; ${result.manifestFile}`);
      for (const name of result.circuits) {
        const c = result.manifest.circuits[name];
        const gates = c.plonkGates === null ? "" : `, ${c.plonkGates} PLONK gates`;
        out(
          `  ${name}: ${c.proofSystem}, ${c.r1cs.constraints} constraints${gates}, needs 2^${c.power}, ptau 2^${c.ptau.power}` +
            ` -> ${c.verifier.contract}${c.devOnly ? "  [development only: not for production]" : ""}`,
        );
      }
    }),
  );
