/**
 * Soundness by forged witnesses: take a valid witness of the registry's test-size circuit, change
 * the signals a cheating prover would change, and check that the R1CS rejects the result. The
 * splicing cases combine two honest witnesses (e.g. the execution of one tape with the digest of
 * another), so every hash is internally consistent and only the binding constraints can object.
 */
import { expect } from "chai";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import { batchTape } from "../../src/tape";
import { assemble, emulate, loanGuest, methodId, zkvmInput, zkvmParams } from "../../src/zkvm";
import type { Harness } from "../helpers/circuit";
import { constraintIndex, testBuildPaths, testHarness } from "./helpers";

const limits = zkvmParams("test");
const BASE = assemble(`
        READ  r1          ; step 0
        READ  r2          ; step 1
        ADD   r3, r1, r2  ; step 2
        LE    r4, r1, r2  ; step 3
        PUB   r5, 3       ; step 4
        WRITE r3          ; step 5
        WRITE r4          ; step 6
        HALT              ; steps 7 .. T-1`).words;
const TAPE = Array.from({ length: limits.L }, (_, i) => BigInt(5 + 2 * i));
const PARAMS = [1n, 2n, 3n, 4n];

describe("zkvm: forged witnesses are rejected by the constraints", function () {
  this.timeout(300_000);
  let h: Harness;
  let honest: bigint[];

  async function witnessOf(program: bigint[], tape: bigint[], params = PARAMS): Promise<bigint[]> {
    const run = emulate(program, tape, params, limits);
    expect(run.ok, run.ok ? "" : `${run.reason} at step ${run.step}`).to.equal(true);
    const w = await h.witness(zkvmInput(program, tape, params, limits, run) as unknown as Record<string, unknown>);
    expect(h.failedConstraints(w)).to.deep.equal([]);
    return w;
  }

  /** `target` with every signal whose name starts with one of `prefixes` taken from `source`. */
  function splice(target: bigint[], source: bigint[], prefixes: string[]): bigint[] {
    const changes: Record<string, bigint> = {};
    for (const name of h.names()) if (prefixes.some((p) => name.startsWith(p))) changes[name] = h.get(source, name);
    expect(Object.keys(changes).length).to.be.greaterThan(0);
    return h.forge(target, changes);
  }

  function rejected(w: bigint[]): number[] {
    const failed = h.failedConstraints(w);
    expect(failed, "the forged witness satisfies every constraint").to.not.be.empty;
    return failed;
  }

  before(async () => {
    h = await testHarness();
    honest = await witnessOf(BASE, TAPE);
    expect(h.get(honest, "main.journal[0]")).to.equal(12n);
    expect(h.get(honest, "main.journal[1]")).to.equal(1n);
  });

  it("a register value changed mid-trace (and carried into the journal)", () => {
    rejected(h.forge(honest, { "main.step[4].regNext[2]": 13n }));
    rejected(
      h.forge(honest, {
        "main.step[4].regNext[2]": 13n,
        "main.step[5].writtenWord": 13n,
        "main.step[5].journalOut[0]": 13n,
        "main.journal[0]": 13n,
      }),
    );
    rejected(h.forge(honest, { "main.step[2].regNext[2]": 13n })); // the ADD result itself
  });

  it("the pc changed (an instruction skipped)", () => {
    rejected(h.forge(honest, { "main.step[2].pcNext": 4n }));
    // Fetch instruction 4 at step 3 instead of instruction 3.
    rejected(
      h.forge(honest, {
        "main.step[3].pcSel.sel[3]": 0n,
        "main.step[3].pcSel.sel[4]": 1n,
        "main.step[3].fetched[3]": 0n,
        "main.step[3].fetched[4]": BASE[4],
      }),
    );
  });

  it("a READ skipped or repeated (execution of another tape spliced with this tape's digest)", async () => {
    const skipped = [...TAPE.slice(1), 0n];
    const repeated = [TAPE[0], ...TAPE.slice(0, -1)];
    for (const other of [skipped, repeated]) {
      const w = await witnessOf(BASE, other);
      expect(h.get(w, "main.journal[0]")).to.not.equal(12n);
      rejected(splice(w, honest, ["main.tape[", "main.tapeDigest", "main.digest."]));
    }
  });

  it("a journal word altered, a word past journalLen set, journalLen changed", async () => {
    rejected(h.forge(honest, { "main.journal[1]": 0n }));
    rejected(h.forge(honest, { "main.journal[0]": 13n, "main.step[5].journalOut[0]": 13n }));
    rejected(h.forge(honest, { "main.journalLen": 1n }));
    const one = await witnessOf(assemble("LI r1, 7\nWRITE r1\nHALT").words, TAPE);
    expect(h.get(one, "main.journalLen")).to.equal(1n);
    rejected(h.forge(one, { "main.journal[1]": 5n }));
  });

  it("opcode or register field out of range", () => {
    rejected(h.forge(honest, { "main.step[2].opSel[2]": 0n })); // no opcode selected (opcode 0)
    rejected(h.forge(honest, { "main.step[2].opSel[2]": 0n, "main.step[2].opSel[3]": 1n })); // another opcode than the word's
    rejected(h.forge(honest, { "main.step[2].rd.sel[3]": 0n })); // no register selected
    rejected(h.forge(honest, { "main.step[2].rs2.sel[2]": 0n, "main.step[2].rs2.sel[1]": 1n })); // read r1 for rs2 = r2
    rejected(h.forge(honest, { "main.step[2].imm": 65536n })); // imm outside 16 bits
    rejected(h.forge(honest, { "main.step[3].cmpBits.out[1]": 2n })); // non-boolean bit
  });

  it("a comparison result flipped, or its operand range check bypassed", () => {
    rejected(h.forge(honest, { "main.step[3].cmpResult": 0n, "main.step[3].regNext[3]": 0n }));
    // Claim operand a = 5 + 2^32 (a wider value) with the same bits: the range check ties bits to the operand.
    rejected(h.forge(honest, { "main.step[3].cmpA": 5n + 2n ** 32n }));
  });

  it("state changed after HALT, or the last step not halted", () => {
    rejected(h.forge(honest, { "main.step[20].regNext[0]": 6n }));
    rejected(h.forge(honest, { "main.step[20].pcNext": 8n }));
    rejected(h.forge(honest, { "main.step[20].jpNext": 1n }));
    rejected(h.forge(honest, { "main.step[20].journalOut[1]": 1n, "main.journal[1]": 2n }));
    // The last step executing something else than HALT (its HALT selector is the constant 1).
    rejected(h.forge(honest, { [`main.step[${limits.T - 1}].opSel[5]`]: 1n }));
  });

  it("a READ with the tape pointer at L (past the tape) cannot be completed", async () => {
    const program = assemble(`${"READ r1\n".repeat(limits.L)}NOP\nHALT`).words;
    const w = await witnessOf(program, TAPE);
    const touching = await constraintIndex(testBuildPaths().r1cs);
    const boundCheck = (t: number) => new Set(touching.get(h.index(`main.step[${t}].readRoomInv`)) ?? []);
    // Turn the NOP at step L (tape pointer = L) into a READ: whatever inverse is claimed, the bound check fails.
    const t = limits.L;
    for (const inv of [0n, 1n, 12345n]) {
      const failed = rejected(h.forge(w, { [`main.shift[${t}].advance`]: 1n, [`main.step[${t}].readRoomInv`]: inv }));
      expect(
        failed.some((c) => boundCheck(t).has(c)),
        "the tape bound constraint fails",
      ).to.equal(true);
    }
    // The same forgery one step earlier (pointer L - 1, a word left) passes the bound check: it is the bound that fires.
    const early = h.forge(w, {
      [`main.step[${t - 1}].readRoom`]: 1n,
      [`main.step[${t - 1}].readRoomInv`]: 1n,
    });
    expect(h.failedConstraints(early).some((c) => boundCheck(t - 1).has(c))).to.equal(false);
  });

  it("methodId not matching the program", async () => {
    const guest = loanGuest();
    rejected(h.forge(honest, { "main.methodId": guest.methodId }));
    rejected(h.forge(honest, { "main.methodId": methodId(BASE) + 1n }));
    // The method ID computation of another program (consistent Poseidon internals), spliced in.
    const other = await witnessOf(
      guest.words,
      batchTape([{ applicantId: 1n, score: 1n, salt: 1n }], (limits.L - 1) / 3),
      PARAMS,
    );
    rejected(splice(honest, other, ["main.method.", "main.methodId", "main.progLen"]));
    // Claiming a shorter program (trailing words ignored) changes progLen: also rejected.
    rejected(h.forge(honest, { "main.progLen": 7n }));
  });

  it("tapeDigest not matching the tape", async () => {
    rejected(h.forge(honest, { "main.tapeDigest": (h.get(honest, "main.tapeDigest") + 1n) % SNARK_SCALAR_FIELD }));
    const otherTape = [...TAPE];
    otherTape[limits.L - 1] += 1n; // a word the program never reads
    const other = await witnessOf(BASE, otherTape);
    rejected(splice(honest, other, ["main.tapeDigest", "main.digest."]));
    rejected(splice(honest, other, ["main.tape["]));
  });
});
