/**
 * Differential fuzz: the reference emulator and the circuit must agree on every run. For each random
 * program and tape the circuit gets the emulator's public signals (for an invalid run: the journal
 * written before the fault), so a rejection can only come from the execution itself.
 */
import { expect } from "chai";
import { disassemble, emulate, INVALID_REASONS, zkvmInput, zkvmParams, type ZkvmLimits } from "../../src/zkvm";
import { loadHarness, type Harness } from "../helpers/circuit";
import { tapeDigest } from "../../src/tape";
import { compiledZkvm, FUZZ_LIMITS, randomField, randomRun, randomTape, rng, testHarness } from "./helpers";

const SEED = Number(process.env.ZKVM_FUZZ_SEED ?? 20261124);

async function fuzz(h: Harness, limits: ZkvmLimits, runs: number, seed: number): Promise<Record<string, number>> {
  const rand = rng(seed);
  const outcomes: Record<string, number> = {};
  // Poseidon in JS costs more than a witness here: draw tapes from a pool whose digests are computed once.
  const tapes = Array.from({ length: 64 }, () => randomTape(rand, limits));
  // Each tape with its own blinding: the circuit must take it into the digest.
  const blindings = new Map(tapes.map((t) => [t, randomField(rand)]));
  const digests = new Map(tapes.map((t) => [t, tapeDigest(t, blindings.get(t)!)]));
  for (let i = 0; i < runs; i++) {
    const { program, tape, params } = randomRun(rand, limits, tapes);
    const result = emulate(program, tape, params, limits);
    const input = zkvmInput(
      program,
      tape,
      params,
      limits,
      result,
      { tapeDigest: digests.get(tape) },
      blindings.get(tape),
    );
    let witness: bigint[] | null = null;
    let error = "";
    try {
      witness = await h.witness(input as unknown as Record<string, unknown>);
    } catch (e) {
      error = (e as Error).message;
    }
    const what = () =>
      `run ${i} (seed ${seed}): emulator ${result.ok ? "accepts" : `rejects (${result.reason} at step ${result.step}, pc ${result.pc})`}, ` +
      `circuit ${witness ? "accepts" : `rejects: ${error.split("\n")[0]}`}\nprogram:\n${disassemble(program)}tape: ${tape.join(", ")}\nparams: ${params.join(", ")}`;
    expect(witness !== null, what()).to.equal(result.ok);
    if (!witness) expect(error, what()).to.match(/Assert Failed/); // a constraint, not a malformed input
    if (witness && i % 25 === 0) {
      // Spot checks: the witness satisfies every R1CS constraint, and a different journal does not.
      expect(h.failedConstraints(witness), what()).to.deep.equal([]);
      const forged = h.forge(witness, { "main.journal[0]": BigInt(input.journal[0]) + 1n });
      expect(h.failedConstraints(forged), what()).to.not.be.empty;
    }
    const key = result.ok ? "valid" : result.reason;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return outcomes;
}

describe("zkvm: differential fuzz, emulator vs circuit", function () {
  this.timeout(600_000);

  it(`agrees on 1,000 random valid and invalid programs (small instance ${JSON.stringify(FUZZ_LIMITS)})`, async () => {
    const h = await loadHarness(await compiledZkvm(FUZZ_LIMITS, "zkvm-fuzz"));
    const outcomes = await fuzz(h, FUZZ_LIMITS, 1000, SEED);
    // The generator must exercise valid runs and every kind of invalid run, or the agreement means little.
    expect(outcomes.valid, JSON.stringify(outcomes)).to.be.greaterThan(300);
    for (const reason of INVALID_REASONS) {
      expect(outcomes[reason] ?? 0, `${reason} in ${JSON.stringify(outcomes)}`).to.be.greaterThan(0);
    }
  });

  it("agrees on 250 random programs at the registry's test size", async () => {
    const limits = zkvmParams("test");
    const outcomes = await fuzz(await testHarness(), limits, 250, SEED + 1);
    expect(outcomes.valid, JSON.stringify(outcomes)).to.be.greaterThan(100);
    expect(Object.keys(outcomes).length, JSON.stringify(outcomes)).to.be.greaterThan(5);
  });
});
