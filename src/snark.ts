/**
 * snarkjs keeps bn128 curve worker threads alive in a global cache; a process that proved or
 * verified anything must terminate them or it never exits (field notes; MACI hang).
 */
export async function terminateCurves(): Promise<void> {
  const g = globalThis as unknown as Record<string, { terminate?: () => Promise<void> } | undefined>;
  for (const key of ["curve_bn128", "curve_bls12381"]) {
    const curve = g[key];
    if (curve?.terminate) {
      await curve.terminate();
      delete g[key];
    }
  }
}
