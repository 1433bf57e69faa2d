/**
 * PLONK gate count of an R1CS, computed exactly as snarkjs 0.7.6 plonk setup does
 * (plonk_setup.js processConstraints): one gate per public signal, then per R1CS constraint one
 * gate plus one addition gate per linear term beyond what a gate holds (3 for a linear constraint,
 * 1 per side for a multiplication). The domain is the next power of two, so a circuit fits a
 * powers of tau of power k iff gates <= 2^k. Lets the bench size circuits without a large ptau.
 */
// r1csfile ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readR1cs } = require("r1csfile") as {
  readR1cs(
    file: string,
    opts: { loadConstraints: boolean; loadMap: boolean; singleThread: boolean },
  ): Promise<R1csFile>;
};

type Lc = Record<string, unknown>;
interface R1csFile {
  F: {
    isZero(x: unknown): boolean;
    mul(a: unknown, b: unknown): unknown;
    sub(a: unknown, b: unknown): unknown;
    zero: unknown;
  };
  nOutputs: number;
  nPubInputs: number;
  constraints: [Lc, Lc, Lc][];
  curve: { terminate(): Promise<void> };
}

export interface PlonkSize {
  /** R1CS constraints (linear and non-linear). */
  constraints: number;
  /** PLONK gates (snarkjs "Plonk constraints"). */
  gates: number;
  /** log2 of the PLONK domain: the smallest powers-of-tau power that fits the circuit. */
  power: number;
  nPublic: number;
}

export async function plonkSize(r1csFile: string): Promise<PlonkSize> {
  const r1cs = await readR1cs(r1csFile, { loadConstraints: true, loadMap: false, singleThread: true });
  try {
    const F = r1cs.F;
    const vars = (lc: Lc) => Object.keys(lc).filter((k) => k !== "0" && !F.isZero(lc[k]));
    const isZero = (lc: Lc) => Object.keys(lc).every((k) => F.isZero(lc[k]));
    const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
    let gates = nPublic;
    for (const [a, b, c] of r1cs.constraints) {
      if (isZero(a) || isZero(b)) {
        gates += Math.max(0, vars(c).length - 3) + 1;
      } else if (vars(a).length === 0 || vars(b).length === 0) {
        // k * lc = c becomes the linear constraint k*lc - c; terms that cancel disappear.
        const [konst, other] = vars(a).length === 0 ? [a, b] : [b, a];
        const k = konst["0"] ?? F.zero;
        const keys = new Set([...vars(other), ...vars(c)]);
        let terms = 0;
        for (const s of keys) if (!F.isZero(F.sub(F.mul(k, other[s] ?? F.zero), c[s] ?? F.zero))) terms++;
        gates += Math.max(0, terms - 3) + 1;
      } else {
        gates +=
          Math.max(0, vars(a).length - 1) + Math.max(0, vars(b).length - 1) + Math.max(0, vars(c).length - 1) + 1;
      }
    }
    const power = Math.max(3, Math.ceil(Math.log2(gates)));
    return { constraints: r1cs.constraints.length, gates, power, nPublic };
  } finally {
    await r1cs.curve.terminate();
  }
}
