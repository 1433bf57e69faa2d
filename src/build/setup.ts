/**
 * Circuit-specific setup and exports: Groth16 (new zkey, a contribution with crypto randomness, a
 * beacon, verification against r1cs + ptau) or PLONK (universal setup, deterministic), then the
 * verification key JSON and the renamed Solidity verifier with a provenance header.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { readZkeyHeader } from "./binfile";
import { BuildError, StepLogger, type BuildStep, type ProgressCallback } from "./progress";
import { snarkjs, SNARKJS_VERSION, verifierTemplates } from "./snarkjs";

export interface StepRunner {
  /** Runs `fn` as a reported step (start/end events with the duration). */
  run<T>(step: BuildStep, detail: string, fn: (logger: StepLogger) => Promise<T>, artifact?: string): Promise<T>;
}

export function stepRunner(circuit: string | null, emit: ProgressCallback): StepRunner {
  return {
    async run(step, detail, fn, artifact) {
      emit({ type: "step-start", circuit, step, detail, ...(artifact ? { artifact } : {}) });
      const t0 = performance.now();
      const result = await fn(new StepLogger(emit, circuit, step));
      emit({ type: "step-end", circuit, step, ms: Math.round(performance.now() - t0), cached: false, detail });
      return result;
    },
  };
}

/** snarkjs setup functions report failure by logging an error and returning -1. */
function check(result: unknown, logger: StepLogger, what: string, circuit: string, step: BuildStep): void {
  if (result === -1 || logger.lastError) {
    throw new BuildError(
      `${what} failed for circuit ${circuit}: ${logger.lastError ?? "snarkjs returned -1"}`,
      circuit,
      step,
    );
  }
}

export interface SetupPaths {
  r1cs: string;
  ptau: string;
  /** Final zkey; written only after the setup (and for Groth16 its verification) succeeded. */
  zkey: string;
}

/**
 * Groth16 phase 2: newZKey, one contribution (64 bytes of crypto.randomBytes), a beacon, then a
 * verification: verifyFromR1cs against the r1cs and the ptau, or for a development key (`devOnly`)
 * verifyFromInit against the initial zkey and the ptau. Stops with a BuildError (and no zkey) on failure.
 */
export async function groth16Setup(circuit: string, p: SetupPaths, steps: StepRunner, devOnly: boolean): Promise<void> {
  // The contribution name is stored in the zkey: dev zkeys say what they are wherever they end up.
  const contributor = devOnly ? "zk-loan-anchor build (development only: not for production)" : "zk-loan-anchor build";
  const z0 = `${p.zkey}.0.tmp`;
  const z1 = `${p.zkey}.1.tmp`;
  const candidate = `${p.zkey}.final.tmp`;
  try {
    await steps.run("zkey-new", "Groth16 setup from r1cs + ptau (snarkjs zKey.newZKey)", async (log) =>
      check(await snarkjs.zKey.newZKey(p.r1cs, p.ptau, z0, log), log, "zkey new", circuit, "zkey-new"),
    );
    await steps.run("zkey-contribute", "phase-2 contribution, entropy from crypto.randomBytes(64)", async (log) => {
      const entropy = crypto.randomBytes(64).toString("hex");
      check(
        await snarkjs.zKey.contribute(z0, z1, contributor, entropy, log),
        log,
        "zkey contribute",
        circuit,
        "zkey-contribute",
      );
    });
    await steps.run("zkey-beacon", "phase-2 beacon (random 32-byte beacon, 2^10 iterations)", async (log) => {
      const beacon = crypto.randomBytes(32).toString("hex");
      check(
        await snarkjs.zKey.beacon(z1, candidate, "zk-loan-anchor beacon", beacon, 10, log),
        log,
        "zkey beacon",
        circuit,
        "zkey-beacon",
      );
    });
    // A key from a published ptau is verified from scratch (the setup recomputed from r1cs + ptau). A
    // development key (its ptau's toxic waste is known anyway) is verified against the initial zkey this
    // build just made from them: every contribution, the beacon and each section's consistency with it
    // and the ptau (seconds instead of a second setup: about 13 minutes at 2^18). `anchor:audit --deep` and
    // `snarkjs zkey verify` still recompute it from the r1cs.
    await steps.run(
      "zkey-verify",
      devOnly
        ? "verify the zkey against the initial zkey and the ptau (snarkjs zKey.verifyFromInit)"
        : "verify the zkey against r1cs + ptau (snarkjs zKey.verifyFromR1cs)",
      async (log) => {
        let ok: boolean;
        try {
          ok = devOnly
            ? await snarkjs.zKey.verifyFromInit(z0, p.ptau, candidate, log)
            : await snarkjs.zKey.verifyFromR1cs(p.r1cs, p.ptau, candidate, log);
        } catch (err) {
          log.error((err as Error).message);
          ok = false;
        }
        if (ok !== true) {
          throw new BuildError(
            `zkey verification failed for circuit ${circuit}: the zkey does not match the ${devOnly ? "initial zkey" : "r1cs"} and ptau` +
              `${log.lastError ? ` (${log.lastError})` : ""}; the build stopped and the zkey was discarded`,
            circuit,
            "zkey-verify",
          );
        }
      },
      candidate,
    );
    fs.renameSync(candidate, p.zkey);
  } finally {
    for (const f of [z0, z1, candidate]) fs.rmSync(f, { force: true });
  }
}

/** PLONK setup (no per-circuit ceremony). Returns the gate count from the zkey header. */
export async function plonkSetup(circuit: string, p: SetupPaths, steps: StepRunner): Promise<number> {
  const candidate = `${p.zkey}.final.tmp`;
  try {
    await steps.run(
      "plonk-setup",
      "PLONK setup from r1cs + ptau (snarkjs plonk.setup)",
      async (log) =>
        check(await snarkjs.plonk.setup(p.r1cs, p.ptau, candidate, log), log, "plonk setup", circuit, "plonk-setup"),
      candidate,
    );
    const header = readZkeyHeader(candidate);
    if (header.protocol !== "plonk" || header.plonkConstraints === undefined) {
      throw new BuildError(
        `plonk setup for circuit ${circuit} wrote a ${header.protocol} zkey`,
        circuit,
        "plonk-setup",
      );
    }
    fs.renameSync(candidate, p.zkey);
    return header.plonkConstraints;
  } finally {
    fs.rmSync(candidate, { force: true });
  }
}

export async function exportVerificationKey(zkey: string, out: string, steps: StepRunner): Promise<void> {
  await steps.run("export-vkey", "export the verification key JSON", async (log) => {
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey, log);
    fs.writeFileSync(out, JSON.stringify(vkey, null, 2) + "\n");
  });
}

export interface VerifierHeader {
  circuit: string;
  /** e.g. "ZkVM(T=40, P=16) from circuits/zkvm/zkvm.circom" */
  instance: string;
  profile: string;
  proofSystem: "groth16" | "plonk";
  contract: string;
  /** Manifest facts this file was generated from (name -> hash). */
  inputs: Record<string, string>;
  devOnly: boolean;
}

/** Contract names in the snarkjs verifier templates. */
export const SNARKJS_NAMES = { groth16: "Groth16Verifier", plonk: "PlonkVerifier" } as const;

/**
 * The body of a snarkjs verifier source: its SPDX line removed and its contract renamed to `contract`.
 * Null when the source does not declare exactly one `contract Groth16Verifier` / `PlonkVerifier`.
 * finishVerifierSource puts the header on top; the audit (src/audit/verifier-code.ts) regenerates with it.
 */
export function renameVerifierContract(
  source: string,
  proofSystem: "groth16" | "plonk",
  contract: string,
): string | null {
  const decl = new RegExp(`\\bcontract ${SNARKJS_NAMES[proofSystem]}\\b`, "g");
  if ((source.match(decl) ?? []).length !== 1) return null;
  return source.replace(/^\/\/ SPDX-License-Identifier: GPL-3.0\r?\n/, "").replace(decl, `contract ${contract}`);
}

/** snarkjs verifier source renamed to `h.contract`, with its own header in place of the SPDX line. */
export function finishVerifierSource(source: string, h: VerifierHeader): string {
  const original = SNARKJS_NAMES[h.proofSystem];
  const body = renameVerifierContract(source, h.proofSystem, h.contract);
  if (body === null) {
    throw new BuildError(
      `snarkjs ${SNARKJS_VERSION} verifier template changed: expected one "contract ${original}"`,
      h.circuit,
      "export-verifier",
    );
  }
  const header = [
    "// SPDX-License-Identifier: GPL-3.0",
    "// GENERATED FILE: never edit by hand. Regenerate with `npm run build:circuits -- --profile " + h.profile + "`.",
    `// Generator: snarkjs ${SNARKJS_VERSION} zKey.exportSolidityVerifier (${h.proofSystem} template), contract renamed ` +
      `from ${original} by src/build/setup.ts.`,
    `// Circuit: ${h.circuit} = ${h.instance}; profile: ${h.profile}; proof system: ${h.proofSystem}.`,
    `// Built from (see build/${h.profile}/manifest.json):`,
    ...Object.entries(h.inputs).map(([k, v]) => `//   ${k}: ${v}`),
    ...(h.devOnly
      ? [
          "// DEVELOPMENT ONLY: NOT FOR PRODUCTION. Built from a powers of tau that is not a published ceremony",
          "// (one contributor: whoever ran the setup can forge proofs).",
        ]
      : []),
    "",
  ];
  return header.join("\n") + body;
}

export async function exportSolidityVerifier(
  zkey: string,
  out: string,
  h: VerifierHeader,
  steps: StepRunner,
): Promise<void> {
  await steps.run("export-verifier", `export the Solidity verifier as ${h.contract}`, async (log) => {
    const source = await snarkjs.zKey.exportSolidityVerifier(zkey, verifierTemplates(), log);
    fs.writeFileSync(out, finishVerifierSource(source, h));
  });
}
