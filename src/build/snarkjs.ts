/**
 * Typed access to the parts of snarkjs (and its r1csfile / ffjavascript dependencies) the build
 * uses. These packages ship no TypeScript types; the signatures below are those of snarkjs 0.7.6.
 */
import fs from "node:fs";
import path from "node:path";
import type { SnarkjsLogger } from "./progress";

/* eslint-disable @typescript-eslint/no-require-imports */

type Logger = SnarkjsLogger | undefined;

export interface SnarkjsApi {
  powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: Logger): Promise<unknown>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<unknown>;
  };
  zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    beacon(
      oldZkey: string,
      newZkey: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    verifyFromInit(initZkey: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: string, logger?: Logger): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>, logger?: Logger): Promise<string>;
  };
  plonk: {
    setup(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
  };
}

export const snarkjs = require("snarkjs") as SnarkjsApi;

/** Root of the installed snarkjs package (its `exports` map hides package.json from require). */
const SNARKJS_DIR = path.resolve(path.dirname(require.resolve("snarkjs")), "..");

export const SNARKJS_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(SNARKJS_DIR, "package.json"), "utf8"),
).version;

/** The Solidity verifier templates shipped with snarkjs, keyed by protocol. */
export function verifierTemplates(): Record<string, string> {
  const dir = path.join(SNARKJS_DIR, "templates");
  return {
    groth16: fs.readFileSync(path.join(dir, "verifier_groth16.sol.ejs"), "utf8"),
    plonk: fs.readFileSync(path.join(dir, "verifier_plonk.sol.ejs"), "utf8"),
    fflonk: fs.readFileSync(path.join(dir, "verifier_fflonk.sol.ejs"), "utf8"),
  };
}

export interface Curve {
  terminate(): Promise<void>;
}

export const getCurveFromName = (require("ffjavascript") as { getCurveFromName(name: string): Promise<Curve> })
  .getCurveFromName;

export const F1Field = (require("ffjavascript") as { F1Field: new (p: bigint) => unknown }).F1Field;

interface R1csFile {
  nConstraints: number;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: number | bigint;
  constraints: Record<string, unknown>[][];
}

export const readR1cs = (
  require("r1csfile") as {
    readR1cs(
      file: string,
      options: { loadConstraints: boolean; loadMap: boolean; getFieldFromPrime: (p: bigint) => unknown },
    ): Promise<R1csFile>;
  }
).readR1cs;
