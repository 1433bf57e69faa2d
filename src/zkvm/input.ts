import { assertFieldElement } from "../field";
import { tapeDigest } from "../tape";
import { checkRunInputs, emulate, type EmulateResult, type ZkvmLimits } from "./emulator";
import { methodId } from "./method";

/** The zkVM circuit's input JSON (decimal strings): public signals first, then the private witness. */
export interface ZkvmCircuitInput {
  methodId: string;
  tapeDigest: string;
  params: string[];
  journalLen: string;
  journal: string[];
  progLen: string;
  prog: string[];
  tape: string[];
  tapeBlinding: string;
}

/**
 * Circuit input for running `program` on `tape`/`params`. journalLen/journal are the emulator's
 * (for an invalid run: what was written before the fault, so only the fault itself can make the
 * circuit reject). Throws RangeError when the inputs do not fit `limits` (tape words must be
 * 32-bit). `tapeBlinding` is the tape digest's blinding (src/tape tapeDigest; 0 when the digest
 * need not hide the tape). `known` may carry the method ID and tape digest when the caller already
 * has them (Poseidon in JS is slow).
 */
export function zkvmInput(
  program: readonly bigint[],
  tape: readonly bigint[],
  params: readonly bigint[],
  limits: ZkvmLimits,
  run: EmulateResult = emulate(program, tape, params, limits),
  known: { methodId?: bigint; tapeDigest?: bigint } = {},
  tapeBlinding = 0n,
): ZkvmCircuitInput {
  checkRunInputs(program, tape, params, limits);
  assertFieldElement(tapeBlinding, "tapeBlinding");
  const prog = [...program, ...new Array<bigint>(limits.P - program.length).fill(0n)];
  return {
    methodId: (known.methodId ?? methodId(program)).toString(),
    tapeDigest: (known.tapeDigest ?? tapeDigest(tape, tapeBlinding)).toString(),
    params: params.map(String),
    journalLen: String(run.journalLen),
    journal: run.journal.map(String),
    progLen: String(program.length),
    prog: prog.map(String),
    tape: tape.map(String),
    tapeBlinding: tapeBlinding.toString(),
  };
}

/** Public signals in the circuit's order: [methodId, tapeDigest, params[K], journalLen, journal[J]]. */
export function zkvmPublicSignals(input: ZkvmCircuitInput): bigint[] {
  return [input.methodId, input.tapeDigest, ...input.params, input.journalLen, ...input.journal].map((s) => BigInt(s));
}
