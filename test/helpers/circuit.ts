/**
 * Circuit test harness: computes witnesses with the circom-generated wasm, checks them against
 * every R1CS constraint, and lets a test forge a witness (change named signals) to show that a
 * cheating prover is rejected by the constraints themselves, not just by witness generation.
 */
import fs from "node:fs";
import { readR1cs } from "r1csfile";
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import type { CircuitPaths } from "../../src/paths";

type LinearCombination = Record<string, bigint>;

interface WitnessCalculator {
  calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]>;
}

export interface Harness {
  nConstraints: number;
  /** Witness for `input`; throws (circom assert) when the input violates a constraint. */
  witness(input: Record<string, unknown>): Promise<bigint[]>;
  /** Indexes of the constraints the witness violates (empty = satisfied). */
  failedConstraints(witness: readonly bigint[]): number[];
  /** Witness index of a signal by its full name, e.g. "main.decisionBits" (throws if optimized away). */
  index(name: string): number;
  /** Value of a signal in a witness. */
  get(witness: readonly bigint[], name: string): bigint;
  /** Copy of `witness` with the named signals replaced. */
  forge(witness: readonly bigint[], changes: Record<string, bigint>): bigint[];
  /** All signal names that survive optimization (useful to find what to forge). */
  names(): string[];
}

const harnessCache = new Map<string, Promise<Harness>>();

function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

function evalLc(lc: LinearCombination, w: readonly bigint[]): bigint {
  let acc = 0n;
  for (const k in lc) acc += lc[k] * w[Number(k)];
  return mod(acc);
}

/** Loads (once per path) the wasm, r1cs and sym of a compiled circuit. */
export function loadHarness(
  paths: Pick<CircuitPaths, "r1cs" | "sym" | "wasm" | "witnessCalculator">,
): Promise<Harness> {
  const key = paths.r1cs;
  let h = harnessCache.get(key);
  if (!h) {
    h = buildHarness(paths);
    harnessCache.set(key, h);
  }
  return h;
}

async function buildHarness(
  paths: Pick<CircuitPaths, "r1cs" | "sym" | "wasm" | "witnessCalculator">,
): Promise<Harness> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const builder = require(paths.witnessCalculator) as (code: Buffer) => Promise<WitnessCalculator>;
  const calc = await builder(fs.readFileSync(paths.wasm));
  const r1cs = await readR1cs(paths.r1cs, { loadConstraints: true, loadMap: false, singleThread: true });
  const F = r1cs.F;
  // r1csfile returns coefficients as field elements in Montgomery form; convert once to bigints.
  const constraints: [LinearCombination, LinearCombination, LinearCombination][] = r1cs.constraints.map(
    (c: Record<string, unknown>[]) =>
      c.map((lc) => {
        const out: LinearCombination = {};
        for (const k of Object.keys(lc)) out[k] = BigInt(F.toString(lc[k]));
        return out;
      }) as [LinearCombination, LinearCombination, LinearCombination],
  );
  if (typeof r1cs.curve?.terminate === "function") await r1cs.curve.terminate();

  const symbols = new Map<string, number>();
  for (const line of fs.readFileSync(paths.sym, "utf8").split("\n")) {
    if (!line) continue;
    const [, varIdx, , name] = line.split(",");
    const idx = Number(varIdx);
    if (idx >= 0) symbols.set(name, idx);
  }

  const index = (name: string): number => {
    const i = symbols.get(name);
    if (i === undefined) throw new Error(`signal ${name} is not in the witness (unknown or optimized away)`);
    return i;
  };

  return {
    nConstraints: constraints.length,
    async witness(input) {
      return calc.calculateWitness(input, true);
    },
    failedConstraints(w) {
      const failed: number[] = [];
      constraints.forEach(([a, b, c], i) => {
        if (mod(evalLc(a, w) * evalLc(b, w) - evalLc(c, w)) !== 0n) failed.push(i);
      });
      return failed;
    },
    index,
    get: (w, name) => w[index(name)],
    forge(w, changes) {
      const copy = [...w];
      for (const [name, value] of Object.entries(changes)) copy[index(name)] = mod(value);
      return copy;
    },
    names: () => [...symbols.keys()],
  };
}
