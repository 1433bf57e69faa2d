/**
 * The zkVM's instruction set and word encoding (docs/zkvm.md is the normative description).
 *
 *   word = op + 2^4 * rd + 2^7 * rs1 + 2^10 * rs2 + 2^13 * imm
 *   op: 4 bits, rd/rs1/rs2: 3 bits (registers r0..r7), imm: 16 bits unsigned  =>  word < 2^29
 *
 * Opcode 0 is not an instruction (zero words pad the program and can never execute).
 */
export const OP_BITS = 4;
export const REG_BITS = 3;
export const IMM_BITS = 16;
export const NUM_REGS = 8;
export const IMM_SHIFT = OP_BITS + 3 * REG_BITS; // 13
export const WORD_BITS = IMM_SHIFT + IMM_BITS; // 29
export const MAX_IMM = (1 << IMM_BITS) - 1;
/** Comparison operands (LT, LE) must be < 2^CMP_BITS. Same width as the policy circuit's SCORE_BITS. */
export const CMP_BITS = 32;

export const Op = {
  HALT: 1,
  ADD: 2,
  SUB: 3,
  MUL: 4,
  ADDI: 5,
  LT: 6,
  LE: 7,
  EQ: 8,
  JMP: 9,
  BEQ: 10,
  BNE: 11,
  READ: 12,
  PUB: 13,
  WRITE: 14,
  ASSERT: 15,
} as const;
export type OpName = keyof typeof Op;
export const OP_NAMES: Record<number, OpName> = Object.fromEntries(
  Object.entries(Op).map(([k, v]) => [v, k as OpName]),
) as Record<number, OpName>;

/**
 * Operand shape of each opcode: which fields the assembler fills (others are 0).
 *   R: rd, rs1, rs2   I: rd, rs1, imm   J: imm   B: rs1, rs2, imm   D: rd   P: rd, k (k in the rs1 field)
 *   S: rs1            A: rs1, rs2       N: none
 */
export type Shape = "R" | "I" | "J" | "B" | "D" | "P" | "S" | "A" | "N";
export const SHAPE: Record<OpName, Shape> = {
  HALT: "N",
  ADD: "R",
  SUB: "R",
  MUL: "R",
  ADDI: "I",
  LT: "R",
  LE: "R",
  EQ: "R",
  JMP: "J",
  BEQ: "B",
  BNE: "B",
  READ: "D",
  PUB: "P",
  WRITE: "S",
  ASSERT: "A",
};

export interface Fields {
  op: number;
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
}

/** Packs fields into a word; throws RangeError when a field does not fit its width. */
export function encode(f: Fields): bigint {
  const check = (v: number, bits: number, what: string) => {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits)
      throw new RangeError(`${what} ${v} does not fit in ${bits} bits`);
  };
  check(f.op, OP_BITS, "opcode");
  check(f.rd, REG_BITS, "rd");
  check(f.rs1, REG_BITS, "rs1");
  check(f.rs2, REG_BITS, "rs2");
  check(f.imm, IMM_BITS, "immediate");
  return BigInt(f.op) + (BigInt(f.rd) << 4n) + (BigInt(f.rs1) << 7n) + (BigInt(f.rs2) << 10n) + (BigInt(f.imm) << 13n);
}

/** Splits a word into fields, or null when the word is not a valid instruction (op 0/unknown or word >= 2^29). */
export function decode(word: bigint): Fields | null {
  if (word < 0n || word >= 1n << BigInt(WORD_BITS)) return null;
  const w = Number(word);
  const f: Fields = {
    op: w & 0xf,
    rd: (w >>> 4) & 7,
    rs1: (w >>> 7) & 7,
    rs2: (w >>> 10) & 7,
    imm: Math.floor(w / 2 ** IMM_SHIFT),
  };
  return OP_NAMES[f.op] ? f : null;
}
