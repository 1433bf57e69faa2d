import { expect } from "chai";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import { spongeDigest } from "../../src/hash";
import { TAG_METHOD } from "../../src/tags";
import {
  AssemblyError,
  assemble,
  decode,
  disassemble,
  emulate,
  loanGuestSteps,
  encode,
  INVALID_REASONS,
  methodId,
  Op,
  zkvmParams,
  type ZkvmLimits,
} from "../../src/zkvm";
import { randomRun, rng } from "./helpers";

const LIMITS: ZkvmLimits = { T: 20, P: 16, L: 3, K: 2, J: 2 };
const run = (src: string, tape = [0n, 0n, 0n], params = [0n, 0n], limits = LIMITS) =>
  emulate(assemble(src).words, tape, params, limits);

describe("zkvm: assembler, disassembler, emulator", () => {
  it("encodes words as op + 16 rd + 128 rs1 + 1024 rs2 + 8192 imm", () => {
    expect(encode({ op: Op.ADDI, rd: 3, rs1: 2, rs2: 0, imm: 7 })).to.equal(5n + 16n * 3n + 128n * 2n + 8192n * 7n);
    expect(decode(0n)).to.equal(null); // opcode 0 is not an instruction
    expect(decode(1n << 29n)).to.equal(null); // imm needs more than 16 bits
    expect(decode(SNARK_SCALAR_FIELD - 1n)).to.equal(null);
    expect(() => encode({ op: 1, rd: 8, rs1: 0, rs2: 0, imm: 0 })).to.throw(RangeError, /rd 8 does not fit in 3 bits/);
    expect(() => encode({ op: 1, rd: 0, rs1: 0, rs2: 0, imm: 65536 })).to.throw(RangeError, /immediate 65536/);
  });

  it("assembles labels, comments, immediates, pseudo-instructions and .word", () => {
    const a = assemble(`
      ; comment line
      start:  LI r1, 0x10      # hex immediate
              MOV r2, r1
      again: NOP
              BNE r1, r2, start
              JMP end
              PUB r3, 1
      end:    .word 12345
              HALT`);
    expect(a.labels).to.deep.equal({ start: 0, again: 2, end: 6 });
    expect(a.lines).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(a.words[0]).to.equal(encode({ op: Op.ADDI, rd: 1, rs1: 0, rs2: 0, imm: 16 }));
    expect(a.words[1]).to.equal(encode({ op: Op.ADDI, rd: 2, rs1: 1, rs2: 0, imm: 0 }));
    expect(a.words[2]).to.equal(encode({ op: Op.ADDI, rd: 0, rs1: 0, rs2: 0, imm: 0 }));
    expect(a.words[3]).to.equal(encode({ op: Op.BNE, rd: 0, rs1: 1, rs2: 2, imm: 0 }));
    expect(a.words[4]).to.equal(encode({ op: Op.JMP, rd: 0, rs1: 0, rs2: 0, imm: 6 }));
    expect(a.words[5]).to.equal(encode({ op: Op.PUB, rd: 3, rs1: 1, rs2: 0, imm: 0 }));
    expect(a.words[6]).to.equal(12345n);
    expect(a.words[7]).to.equal(1n);
  });

  it("reports mistakes with their line numbers", () => {
    const cases: [string, RegExp][] = [
      ["HALT\nFOO r1", /^line 2: unknown instruction "FOO"/],
      ["\n\nADD r1, r2", /^line 3: ADD takes 3 operand\(s\) \(ADD rd, rs1, rs2\), got 2/],
      ["ADD r1, r2, r8", /^line 1: expected a register r0..r7, got "r8"/],
      ["LI r1, 65536", /^line 1: immediate 65536 is out of range 0..65535/],
      ["LI r1, -1", /^line 1: immediate must be unsigned/],
      ["JMP nowhere", /^line 1: unknown label "nowhere"/],
      ["a: HALT\na: HALT", /^line 2: label "a" is defined twice/],
      ["PUB r1, 8", /^line 1: parameter index 8 is out of range 0..7/],
      [
        ".word 21888242871839275222246405745257275088548364400416034343698204186575808495617",
        /^line 1: .word needs a field element/,
      ],
      ["ADD r1,, r2", /^line 1: empty operand/],
    ];
    for (const [src, re] of cases) {
      let err: unknown;
      try {
        assemble(src);
      } catch (e) {
        err = e;
      }
      expect(err, src).to.be.instanceOf(AssemblyError);
      expect((err as Error).message, src).to.match(re);
    }
    try {
      assemble("HALT\n\nBEQ r1, r2");
    } catch (e) {
      expect((e as AssemblyError).line).to.equal(3);
    }
  });

  it("disassembles to source that assembles back to the same words (random programs)", () => {
    const rand = rng(7);
    for (let i = 0; i < 300; i++) {
      const { program } = randomRun(rand, { T: 10, P: 12, L: 2, K: 4, J: 2 });
      const text = disassemble(program);
      expect(assemble(text).words, text).to.deep.equal(program);
    }
    expect(disassemble([encode({ op: Op.JMP, rd: 0, rs1: 0, rs2: 0, imm: 1 }), 1n])).to.equal(
      "\tJMP L1\t; 0\nL1:\tHALT\t; 1\n",
    );
    expect(disassemble([0n, 1n + 16n])).to.match(/\.word 0x0\t; 0\n\t\.word 0x11\t; 1/); // HALT with rd set is not canonical
  });

  it("executes every opcode as specified (field arithmetic, 32-bit comparisons, r0 = 0)", () => {
    const r = emulate(
      assemble(`
        READ r1            ; 5
        READ r2            ; 7
        SUB  r3, r1, r2    ; 5 - 7 mod r
        ADD  r4, r3, r2    ; back to 5
        MUL  r5, r1, r2    ; 35
        LT   r6, r1, r2    ; 1
        LE   r7, r2, r1    ; 0
        EQ   r6, r4, r1    ; 1
        ADDI r0, r1, 9     ; discarded: r0 stays 0
        PUB  r7, 1
        ASSERT r4, r1
        BEQ  r0, r0, skip
        WRITE r1
skip:   WRITE r3
        WRITE r7
        HALT`).words,
      [5n, 7n, 0n],
      [11n, 22n],
      LIMITS,
    );
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.journal).to.deep.equal([SNARK_SCALAR_FIELD - 2n, 22n]);
    expect(r.journalLen).to.equal(2);
    expect(r.steps).to.equal(15);
    expect(r.trace[9].regs).to.deep.equal([0n, 5n, 7n, SNARK_SCALAR_FIELD - 2n, 5n, 35n, 1n, 0n]);
  });

  it("reports every invalid-run reason with its pc and step", () => {
    const cases: [string, string, number, number, bigint[]?, bigint[]?][] = [
      ["NOP\nJMP 5\nHALT", "pc-out-of-program", 5, 2],
      ["NOP", "pc-out-of-program", 1, 1],
      ["NOP\n.word 0", "bad-instruction", 1, 1],
      [".word 0x20000000", "bad-instruction", 0, 0],
      // Tape words are 32-bit: wide operands come from parameters and arithmetic.
      ["PUB r1, 0\nLT r2, r1, r0\nHALT", "compare-operand-too-wide", 1, 1, [0n, 0n, 0n], [2n ** 32n, 0n]],
      ["LI r1, 1\nSUB r1, r0, r1\nLE r2, r0, r1\nHALT", "compare-operand-too-wide", 2, 2],
      ["READ r1\nREAD r1\nREAD r1\nREAD r1\nHALT", "tape-exhausted", 3, 3],
      ["PUB r1, 2\nHALT", "param-out-of-range", 0, 0],
      ["WRITE r1\nWRITE r1\nWRITE r1\nHALT", "journal-full", 2, 2],
      ["LI r1, 1\nASSERT r1, r0\nHALT", "assert-failed", 1, 1],
      ["loop: JMP loop", "not-halted", 0, 20],
    ];
    const seen = new Set<string>();
    for (const [src, reason, pc, step, tape, params] of cases) {
      const r = run(src, tape, params);
      expect(r, src).to.deep.include({ ok: false, reason, pc, step });
      seen.add(reason);
    }
    expect([...seen].sort()).to.deep.equal([...INVALID_REASONS].sort());
    // Boundary: operands of exactly 2^32 - 1 compare fine; the last tape word and journal slot are usable.
    const ok = run("READ r1\nLE r2, r1, r1\nREAD r3\nREAD r3\nWRITE r2\nWRITE r3\nHALT", [2n ** 32n - 1n, 0n, 9n]);
    expect(ok).to.deep.include({ ok: true, journal: [1n, 9n], journalLen: 2, steps: 7 });
  });

  it("rejects malformed inputs with a clear error", () => {
    expect(() => emulate([], [0n, 0n, 0n], [0n, 0n], LIMITS)).to.throw(
      RangeError,
      /program has 0 words; this zkVM holds 1..16/,
    );
    expect(() => emulate(new Array(17).fill(1n), [0n, 0n, 0n], [0n, 0n], LIMITS)).to.throw(RangeError, /17 words/);
    expect(() => emulate([1n], [0n], [0n, 0n], LIMITS)).to.throw(
      RangeError,
      /tape has 1 words; this zkVM reads exactly 3/,
    );
    expect(() => emulate([1n], [0n, 0n, 0n], [0n], LIMITS)).to.throw(
      RangeError,
      /params has 1 words; this zkVM takes exactly 2/,
    );
    expect(() => emulate([1n], [SNARK_SCALAR_FIELD, 0n, 0n], [0n, 0n], LIMITS)).to.throw(
      RangeError,
      /tape\[0\] must be a 32-bit tape word \(0 <= x < 2\^32\)/,
    );
    expect(() => emulate([1n], [0n, 0n, 2n ** 32n], [0n, 0n], LIMITS)).to.throw(
      RangeError,
      "tape[2] must be a 32-bit tape word (0 <= x < 2^32), got 4294967296",
    );
    expect(() => emulate([1n], [0n, 0n, 0n], [SNARK_SCALAR_FIELD, 0n], LIMITS)).to.throw(
      RangeError,
      /params\[0\] must satisfy/,
    );
  });

  it("methodId is the TAG_METHOD sponge over the program words (independent of P)", () => {
    const words = assemble("LI r1, 3\nWRITE r1\nHALT").words;
    expect(methodId(words)).to.equal(spongeDigest(TAG_METHOD, words));
    expect(methodId(words)).to.not.equal(methodId([...words, 0n])); // the length is bound
    expect(() => methodId([])).to.throw(RangeError);
  });

  it("zkvmParams reads the registry sizes", () => {
    const test = zkvmParams("test");
    expect(test.K).to.equal(4);
    expect(test.J).to.equal(2);
    expect(test.L).to.equal(3);
    expect(test.T).to.equal(21); // a full test batch: the loan guest's 7 * 2 + 7 steps
    expect(test.T).to.equal(loanGuestSteps(test.L - 1)); // the batch tape has N + 1 words
  });
});
