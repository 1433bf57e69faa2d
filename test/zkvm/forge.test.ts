/**
 * Soundness by forged witnesses: take a valid witness of the registry's test-size circuit, change
 * the signals a cheating prover would change, and check that the R1CS rejects the result. The
 * splicing cases combine two honest witnesses (e.g. the execution of one tape with the digest of
 * another), so every hash is internally consistent and only the binding constraints can object.
 */
import { expect } from "chai";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import { batchTape, tapeBatchSize } from "../../src/tape";
import { assemble, emulate, loanGuest, methodId, zkvmInput, zkvmParams } from "../../src/zkvm";
import type { Harness } from "../helpers/circuit";
import { constraintIndex, readsChallengeHarness, testBuildPaths, testHarness } from "./helpers";

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

  function has(name: string): boolean {
    try {
      h.index(name);
      return true;
    } catch {
      return false;
    }
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
    // Fetch another instruction at step 3 (pc = 3): the fetched word, or pc bits that do not decompose pc.
    rejected(h.forge(honest, { "main.step[3].word": BASE[4] }));
    rejected(h.forge(honest, { "main.step[3].fetch.bits.out[1]": 0n, "main.step[3].fetch.bits.out[2]": 1n }));
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
    rejected(h.forge(honest, { "main.step[2].writeSel[3]": 0n })); // ADD r3 writing no register
    rejected(h.forge(honest, { "main.step[2].writeSel[3]": 0n, "main.step[2].writeSel[4]": 1n })); // ... or r4
    rejected(h.forge(honest, { "main.step[2].bMux.bits.out[1]": 0n })); // rs2 bits that do not decompose rs2 = 2
    rejected(h.forge(honest, { "main.step[2].b": h.get(honest, "main.step[2].regNext[0]") })); // b read from r1, not r2
    rejected(h.forge(honest, { "main.step[2].immBits.out[15]": 2n })); // imm bits that are not bits (imm outside 16 bits)
    rejected(h.forge(honest, { "main.step[3].cmpBits.out[1]": 2n })); // non-boolean bit
  });

  it("a comparison result flipped, or its operand range check bypassed", () => {
    rejected(h.forge(honest, { "main.step[3].cmpResult": 0n, "main.step[3].regNext[3]": 0n }));
    // Claim operand a = 5 + 2^32 (a wider value) with the same bits: the range check ties bits to the operand.
    rejected(h.forge(honest, { "main.step[3].cmpA": 5n + 2n ** 32n }));
  });

  it("state changed after HALT, or the last step not halted", () => {
    // BASE halts at step 7; step 15 is a halted step (signals the optimizer kept).
    rejected(h.forge(honest, { "main.step[15].regNext[0]": 6n }));
    rejected(h.forge(honest, { "main.step[15].pcNext": 8n }));
    rejected(h.forge(honest, { "main.step[15].jpNext": 1n }));
    rejected(h.forge(honest, { "main.step[15].journalOut[1]": 1n, "main.journal[1]": 2n }));
    // The last step executing something else than HALT (its HALT selector is the constant 1).
    rejected(h.forge(honest, { [`main.step[${limits.T - 1}].opSel[5]`]: 1n }));
  });

  it("a READ past the tape (pointer at L) cannot be completed", async () => {
    const full = assemble(`${"READ r1\n".repeat(limits.L)}HALT`).words;
    await witnessOf(full, TAPE); // L reads: the whole tape, accepted
    const past = assemble(`${"READ r1\n".repeat(limits.L + 1)}HALT`).words;
    const run = emulate(past, TAPE, PARAMS, limits);
    expect(run).to.deep.include({ ok: false, reason: "tape-exhausted", step: limits.L });
    // The witness generator evaluates every constraint: the final pointer L + 1 has no place in tpEnd's one-hot.
    let error = "";
    await h
      .witness(zkvmInput(past, TAPE, PARAMS, limits, run) as unknown as Record<string, unknown>)
      .catch((e: Error) => {
        error = e.message;
      });
    expect(error).to.match(/Assert Failed/);
    expect(error).to.match(/OneHot/);
  });

  it("a word READ that is not the tape's word at that position (tape fingerprint)", async () => {
    // The execution of tape B (word 1, which BASE reads, differs) with tape A's words and digest, and
    // every fingerprint wire recomputed for that pair: the challenge from a witness of ReadsChallenge
    // alone, the powers and terms by hand. Only the fingerprint identity can object.
    const tapeB = [...TAPE];
    tapeB[1] += 7n;
    const witnessB = await witnessOf(BASE, tapeB);
    const challenge = await readsChallengeHarness(limits.T);
    const recompute = async (execution: bigint[], tapeSource: bigint[]) => {
      const w = splice(execution, tapeSource, ["main.tape[", "main.tapeWordRange[", "main.tapeDigest", "main.digest."]);
      // BASE READs at steps 0 and 1 only (the optimizer removed the readWord / isRead wires).
      const isRead = (t: number) => (t < 2 ? 1n : 0n);
      const readWord = (t: number) => isRead(t) * h.get(execution, `main.head[${t}]`);
      const cw = await challenge.witness({
        methodId: h.get(w, "main.methodId").toString(),
        tapeDigest: h.get(w, "main.tapeDigest").toString(),
        readWord: Array.from({ length: limits.T }, (_, t) => readWord(t).toString()),
      });
      const changes: Record<string, bigint> = {};
      for (const name of challenge.names()) {
        if (name === "main.one" || !name.startsWith("main.")) continue;
        const target = `main.challenge.${name.slice(5)}`;
        if (has(target)) changes[target] = challenge.get(cw, name);
      }
      const gamma = challenge.get(cw, "main.gamma");
      changes["main.gamma"] = gamma;
      let pow = 1n;
      for (let t = 0; t < limits.T; t++) {
        changes[`main.pointerPow[${t}]`] = pow;
        changes[`main.readTerm[${t}]`] = (readWord(t) * pow) % SNARK_SCALAR_FIELD;
        const advance = (isRead(t) * (gamma - 1n + SNARK_SCALAR_FIELD)) % SNARK_SCALAR_FIELD;
        changes[`main.advanceBy[${t}]`] = advance;
        pow = (pow * (1n + advance)) % SNARK_SCALAR_FIELD;
      }
      changes[`main.pointerPow[${limits.T}]`] = pow;
      const tpEnd = Number(h.get(w, `main.step[${limits.T - 1}].tpNext`));
      let tapePow = 1n;
      for (let j = 0; j < limits.L; j++) {
        const term = (h.get(w, `main.tape[${j}]`) * tapePow) % SNARK_SCALAR_FIELD;
        changes[`main.tapePow[${j}]`] = tapePow;
        changes[`main.tapeTerm[${j}]`] = term;
        changes[`main.tapePrefixTerm[${j}]`] = j < tpEnd ? term : 0n;
        tapePow = (tapePow * gamma) % SNARK_SCALAR_FIELD;
      }
      return h.forge(w, Object.fromEntries(Object.entries(changes).filter(([name]) => has(name))));
    };
    // Control: the same recomputation on the honest pair satisfies every constraint.
    expect(h.failedConstraints(await recompute(honest, honest))).to.deep.equal([]);
    const forged = await recompute(witnessB, honest);
    expect(h.get(forged, "main.head[1]")).to.equal(TAPE[1] + 7n);
    expect(h.get(forged, "main.tape[1]")).to.equal(TAPE[1]);
    const failed = rejected(forged);
    expect(failed, "only the fingerprint identity fails").to.have.length(1);
    const touching = await constraintIndex(testBuildPaths().r1cs);
    expect(touching.get(h.index("main.readTerm[1]"))).to.include(failed[0]);
  });

  it("methodId not matching the program", async () => {
    const guest = loanGuest();
    rejected(h.forge(honest, { "main.methodId": guest.methodId }));
    rejected(h.forge(honest, { "main.methodId": methodId(BASE) + 1n }));
    // The method ID computation of another program (consistent Poseidon internals), spliced in.
    const other = await witnessOf(
      guest.words,
      batchTape([{ applicantId: 1n, score: 1n, salt: 1n }], tapeBatchSize(limits.L)!),
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
    // The blinding is bound too: the same tape under another blinding is another digest.
    rejected(h.forge(honest, { "main.tapeBlinding": 1n }));
    const blinded = await h.witness(
      zkvmInput(BASE, TAPE, PARAMS, limits, emulate(BASE, TAPE, PARAMS, limits), {}, 99n) as unknown as Record<
        string,
        unknown
      >,
    );
    expect(h.failedConstraints(blinded)).to.deep.equal([]);
    rejected(splice(honest, blinded, ["main.tapeDigest", "main.digest."]));
  });

  it("a tape word of 2^32 or more, even when the packed digest is unchanged", async () => {
    // A program that reads nothing, so only the tape's own checks see the tape.
    const halt = assemble("HALT").words;
    const w = await witnessOf(halt, TAPE);
    // tape[0] + 2^32 and tape[1] - 1 pack to the same element: the digest's internals stay valid, and
    // the range check's bits keep the low 32 bits of the new word (the best a cheater can do).
    // (--O2 keeps some of the bits: the others are linear in them and the word.)
    const bits = (j: number, word: bigint) =>
      Object.fromEntries(
        Array.from({ length: 32 }, (_, k) => [`main.tapeWordRange[${j}].out[${k}]`, (word >> BigInt(k)) & 1n]).filter(
          ([name]) => has(name as string),
        ),
      );
    // The fingerprint's terms follow the new words (nothing is read, so they do not enter its sum).
    const terms = (words: Record<number, bigint>) =>
      Object.fromEntries(
        Object.entries(words)
          .filter(([j]) => has(`main.tapeTerm[${j}]`))
          .map(([j, word]) => {
            let pow = 1n; // gamma^j (the first powers are aliases of 1 and gamma under --O2)
            for (let k = 0; k < Number(j); k++) pow = (pow * h.get(w, "main.gamma")) % SNARK_SCALAR_FIELD;
            return [`main.tapeTerm[${j}]`, (word * pow) % SNARK_SCALAR_FIELD];
          }),
      );
    const forged = h.forge(w, {
      "main.tape[0]": TAPE[0] + 2n ** 32n,
      "main.tape[1]": TAPE[1] - 1n,
      ...bits(0, TAPE[0]),
      ...bits(1, TAPE[1] - 1n),
      ...terms({ 0: TAPE[0] + 2n ** 32n, 1: TAPE[1] - 1n }),
    });
    expect(h.get(forged, "main.tapeDigest")).to.equal(h.get(w, "main.tapeDigest"));
    const failed = rejected(forged);
    expect(failed, "only tape[0]'s range check fails").to.have.length(1);
    const touching = await constraintIndex(testBuildPaths().r1cs);
    expect(touching.get(h.index("main.tapeWordRange[0].out[0]"))).to.include(failed[0]);
    // The word itself at 2^32 with its bits at 0 (2^32 mod 2^32): rejected as well.
    rejected(h.forge(w, { "main.tape[2]": 2n ** 32n, ...bits(2, 0n), ...terms({ 2: 2n ** 32n }) }));
  });
});
