/**
 * Deterministic batch generator for the policy tests: a seeded PRNG (reproducible failures; set
 * POLICY_FUZZ_SEED to explore other seeds) plus the edge cases the issue lists.
 */
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import type { Application, PolicyParams } from "../../src/policy";
import { APPLICANT_ID_LIMIT, byApplicantId } from "../../src/tape";

export interface PolicyCase {
  name: string;
  batch: Application[];
  threshold: bigint;
}

/** xorshift32-based PRNG producing bigints; not cryptographic, only for reproducible fuzzing. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bits(k: number): bigint {
    let x = 0n;
    for (let i = 0; i < k; i += 32) x = (x << 32n) | BigInt(this.u32());
    return x & ((1n << BigInt(k)) - 1n);
  }
  field(): bigint {
    for (;;) {
      const x = this.bits(254);
      if (x < P) return x;
    }
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export function fuzzSeed(): number {
  return Number(process.env.POLICY_FUZZ_SEED ?? 20261124);
}

function randomBatch(rng: Rng, params: PolicyParams, size: number, threshold: bigint): Application[] {
  const max = (1n << BigInt(params.scoreBits)) - 1n;
  const used = new Set<bigint>();
  const apps: Application[] = [];
  while (apps.length < size) {
    // applicantIds in [1, 2^64), sorted below as the planner does.
    const applicantId = rng.pick([
      () => rng.bits(64),
      () => rng.bits(32),
      () => APPLICANT_ID_LIMIT - 1n,
      () => 1n,
      () => BigInt(apps.length + 1),
    ])();
    if (applicantId === 0n || used.has(applicantId)) continue;
    used.add(applicantId);
    const score = rng.pick([
      () => rng.bits(params.scoreBits),
      () => threshold,
      () => (threshold < max ? threshold + 1n : max),
      () => (threshold > 0n ? threshold - 1n : 0n),
      () => 0n,
      () => max,
    ])();
    const salt = rng.pick([() => rng.field(), () => rng.field(), () => P - 1n, () => 0n])();
    apps.push({ applicantId, score, salt });
  }
  return apps.sort(byApplicantId);
}

/** The listed edge cases followed by `count` random batches. */
export function policyCases(params: PolicyParams, count: number, seed = fuzzSeed()): PolicyCase[] {
  const rng = new Rng(seed);
  const N = params.batchSize;
  const max = (1n << BigInt(params.scoreBits)) - 1n;
  const app = (i: number, score: bigint): Application => ({ applicantId: BigInt(1000 + i), score, salt: rng.field() });
  const full = (f: (i: number) => bigint) => Array.from({ length: N }, (_, i) => app(i, f(i)));
  const cases: PolicyCase[] = [
    { name: "empty batch", batch: [], threshold: 600n },
    { name: "empty batch, threshold 0", batch: [], threshold: 0n },
    { name: "full batch, mixed", batch: full((i) => BigInt(550 + 50 * i)), threshold: 600n },
    { name: "all approve", batch: full((i) => BigInt(i)), threshold: 700n },
    { name: "all deny", batch: full((i) => BigInt(701 + i)), threshold: 700n },
    { name: "score == threshold", batch: full(() => 650n), threshold: 650n },
    { name: "score == threshold + 1", batch: full(() => 651n), threshold: 650n },
    { name: "score == 0", batch: full(() => 0n), threshold: 5n },
    { name: "threshold == 0, scores 0 and 1", batch: full((i) => BigInt(i % 2)), threshold: 0n },
    { name: "max threshold, max scores", batch: full(() => max), threshold: max },
    { name: "max scores, threshold max - 1", batch: full(() => max), threshold: max - 1n },
    {
      name: "max ids and salts",
      batch: Array.from({ length: N }, (_, i) => ({
        applicantId: APPLICANT_ID_LIMIT - BigInt(N - i),
        score: max,
        salt: P - 1n,
      })),
      threshold: max,
    },
    {
      // The largest id steps: 1 -> 2^64 - N + 1 (slot 1), then +1.
      name: "ids 1 and 2^64 - 1 (largest step)",
      batch: Array.from({ length: N }, (_, i) => ({
        applicantId: i === 0 ? 1n : APPLICANT_ID_LIMIT - BigInt(N - i),
        score: BigInt(i),
        salt: rng.field(),
      })),
      threshold: 0n,
    },
    { name: "one application", batch: [app(0, 10n)], threshold: 10n },
  ];
  for (let k = 0; k < count; k++) {
    const threshold = rng.pick([() => rng.bits(params.scoreBits), () => 0n, () => max, () => BigInt(rng.int(1000))])();
    const size = rng.pick([0, N, rng.int(N + 1), rng.int(N + 1)]);
    cases.push({ name: `random #${k} (seed ${seed})`, batch: randomBatch(rng, params, size, threshold), threshold });
  }
  return cases;
}
