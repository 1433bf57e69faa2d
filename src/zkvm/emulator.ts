/**
 * Reference emulator of the zkVM: the test oracle of circuits/zkvm/zkvm.circom (docs/zkvm.md).
 * A run is valid iff it executes HALT within T steps without any of the faults in `InvalidReason`.
 */
import { SNARK_SCALAR_FIELD as R, assertFieldElement } from "../field";
import { assertTapeWord } from "../tape";
import { CMP_BITS, decode, NUM_REGS, Op } from "./isa";

/** Circuit size: T steps, P program words, L tape words, K parameters, J journal words. */
export interface ZkvmLimits {
  T: number;
  P: number;
  L: number;
  K: number;
  J: number;
}

/** Why a run is invalid (no proof exists for it). */
export type InvalidReason =
  | "pc-out-of-program" // pc >= program length (a jump or branch left the program, or it fell off the end)
  | "bad-instruction" // unknown opcode (0) or a word that does not decode (>= 2^29)
  | "compare-operand-too-wide" // LT/LE operand >= 2^32
  | "tape-exhausted" // READ with the tape pointer at L
  | "param-out-of-range" // PUB k with k >= K
  | "journal-full" // WRITE with the journal pointer at J
  | "assert-failed" // ASSERT rs1, rs2 with reg[rs1] != reg[rs2]
  | "not-halted"; // no HALT within T steps

export const INVALID_REASONS: readonly InvalidReason[] = [
  "pc-out-of-program",
  "bad-instruction",
  "compare-operand-too-wide",
  "tape-exhausted",
  "param-out-of-range",
  "journal-full",
  "assert-failed",
  "not-halted",
];

/** State before a step: pc, registers r0..r7, tape pointer, journal pointer. */
export interface StepState {
  pc: number;
  regs: bigint[];
  tp: number;
  jp: number;
}

export interface EmulateOk {
  ok: true;
  /** J words: the written words, then zeros. */
  journal: bigint[];
  journalLen: number;
  /** Steps executed including the HALT (<= T). */
  steps: number;
  /** State before each executed step (length = steps). */
  trace: StepState[];
}

export interface EmulateFail {
  ok: false;
  reason: InvalidReason;
  /** pc of the faulting step (for "not-halted": the pc after T steps). */
  pc: number;
  /** 0-based index of the faulting step (for "not-halted": T). */
  step: number;
  /** Journal written before the fault (J words, zero-padded) and its length. */
  journal: bigint[];
  journalLen: number;
  trace: StepState[];
}

export type EmulateResult = EmulateOk | EmulateFail;

const mod = (x: bigint) => ((x % R) + R) % R;
const CMP_LIMIT = 1n << BigInt(CMP_BITS);

/** Checks the shapes of the inputs against the limits; throws RangeError naming what is wrong. */
export function checkRunInputs(
  program: readonly bigint[],
  tape: readonly bigint[],
  params: readonly bigint[],
  limits: ZkvmLimits,
): void {
  if (program.length < 1 || program.length > limits.P) {
    throw new RangeError(`program has ${program.length} words; this zkVM holds 1..${limits.P} (P)`);
  }
  if (tape.length !== limits.L)
    throw new RangeError(`tape has ${tape.length} words; this zkVM reads exactly ${limits.L} (L)`);
  if (params.length !== limits.K)
    throw new RangeError(`params has ${params.length} words; this zkVM takes exactly ${limits.K} (K)`);
  program.forEach((w, i) => assertFieldElement(w, `program[${i}]`));
  tape.forEach((w, i) => assertTapeWord(w, `tape[${i}]`));
  params.forEach((w, i) => assertFieldElement(w, `params[${i}]`));
}

/** Runs `program` on `tape` and `params` for at most T steps. Throws RangeError on malformed inputs. */
export function emulate(
  program: readonly bigint[],
  tape: readonly bigint[],
  params: readonly bigint[],
  limits: ZkvmLimits,
): EmulateResult {
  checkRunInputs(program, tape, params, limits);
  const regs = new Array<bigint>(NUM_REGS).fill(0n);
  const journal = new Array<bigint>(limits.J).fill(0n);
  const trace: StepState[] = [];
  let pc = 0;
  let tp = 0;
  let jp = 0;
  const fail = (reason: InvalidReason, step: number): EmulateFail => ({
    ok: false,
    reason,
    pc,
    step,
    journal: [...journal],
    journalLen: jp,
    trace,
  });

  for (let step = 0; step < limits.T; step++) {
    trace.push({ pc, regs: [...regs], tp, jp });
    if (pc >= program.length) return fail("pc-out-of-program", step);
    const f = decode(program[pc]);
    if (!f) return fail("bad-instruction", step);
    const a = regs[f.rs1];
    const b = regs[f.rs2];
    let next = pc + 1;
    let value: bigint | null = null; // written to rd when not null
    switch (f.op) {
      case Op.HALT:
        return { ok: true, journal, journalLen: jp, steps: step + 1, trace };
      case Op.ADD:
        value = mod(a + b);
        break;
      case Op.SUB:
        value = mod(a - b);
        break;
      case Op.MUL:
        value = mod(a * b);
        break;
      case Op.ADDI:
        value = mod(a + BigInt(f.imm));
        break;
      case Op.LT:
      case Op.LE:
        if (a >= CMP_LIMIT || b >= CMP_LIMIT) return fail("compare-operand-too-wide", step);
        value = (f.op === Op.LT ? a < b : a <= b) ? 1n : 0n;
        break;
      case Op.EQ:
        value = a === b ? 1n : 0n;
        break;
      case Op.JMP:
        next = f.imm;
        break;
      case Op.BEQ:
        if (a === b) next = f.imm;
        break;
      case Op.BNE:
        if (a !== b) next = f.imm;
        break;
      case Op.READ:
        if (tp >= limits.L) return fail("tape-exhausted", step);
        value = tape[tp++];
        break;
      case Op.PUB:
        if (f.rs1 >= limits.K) return fail("param-out-of-range", step);
        value = params[f.rs1];
        break;
      case Op.WRITE:
        if (jp >= limits.J) return fail("journal-full", step);
        journal[jp++] = a;
        break;
      case Op.ASSERT:
        if (a !== b) return fail("assert-failed", step);
        break;
    }
    if (value !== null && f.rd !== 0) regs[f.rd] = value; // r0 is always 0
    pc = next;
  }
  return fail("not-halted", limits.T);
}
