/**
 * Assembler and disassembler for the zkVM (syntax in docs/zkvm.md, "Assembly").
 *
 *   ; comment (also #)        label:            MNEMONIC operands, comma, separated
 *   registers r0..r7          immediates: decimal, 0x-hex or a label (its word index)
 *   pseudo-instructions: LI rd, imm (= ADDI rd, r0, imm), MOV rd, rs (= ADDI rd, rs, 0), NOP (= ADDI r0, r0, 0)
 *   .word value               emits a raw word (any field element), e.g. for tests of invalid words
 */
import { SNARK_SCALAR_FIELD } from "../field";
import { decode, encode, Fields, MAX_IMM, NUM_REGS, Op, OP_NAMES, OpName, SHAPE } from "./isa";

/** A source error; `line` is 1-based and the message starts with "line N:". */
export class AssemblyError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "AssemblyError";
  }
}

export interface Assembled {
  words: bigint[];
  /** Label name -> word index. */
  labels: Record<string, number>;
  /** Source line (1-based) of each word. */
  lines: number[];
}

interface Pending {
  line: number;
  mnemonic: string;
  operands: string[];
}

const LABEL_RE = /^[A-Za-z_.][A-Za-z0-9_.]*$/;

function parseRegister(tok: string, line: number): number {
  const m = /^[rR]([0-9]+)$/.exec(tok);
  if (!m || Number(m[1]) >= NUM_REGS) {
    throw new AssemblyError(line, `expected a register r0..r${NUM_REGS - 1}, got "${tok}"`);
  }
  return Number(m[1]);
}

function parseNumber(tok: string): bigint | null {
  if (/^[0-9]+$/.test(tok) || /^0[xX][0-9a-fA-F]+$/.test(tok)) return BigInt(tok);
  return null;
}

function parseImm(
  tok: string,
  labels: Record<string, number>,
  line: number,
  max = MAX_IMM,
  what = "immediate",
): number {
  let v = parseNumber(tok);
  if (v === null) {
    if (/^-/.test(tok))
      throw new AssemblyError(line, `${what} must be unsigned (0..${max}), got "${tok}"; use SUB for negative values`);
    if (!LABEL_RE.test(tok)) throw new AssemblyError(line, `expected a number or label, got "${tok}"`);
    if (!(tok in labels)) throw new AssemblyError(line, `unknown label "${tok}"`);
    v = BigInt(labels[tok]);
  }
  if (v > BigInt(max)) throw new AssemblyError(line, `${what} ${v} is out of range 0..${max}`);
  return Number(v);
}

const PSEUDO: Record<string, number> = { LI: 2, MOV: 2, NOP: 0 };

/** Assembles `source` into program words. Throws AssemblyError (with the line number) on any mistake. */
export function assemble(source: string): Assembled {
  const labels: Record<string, number> = {};
  const pending: Pending[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    let text = raw.replace(/[;#].*$/, "").trim();
    for (;;) {
      const m = /^([^\s:,]+)\s*:(.*)$/.exec(text);
      if (!m) break;
      const name = m[1];
      if (!LABEL_RE.test(name) || /^[rR][0-9]+$/.test(name))
        throw new AssemblyError(line, `invalid label name "${name}"`);
      if (name in labels) throw new AssemblyError(line, `label "${name}" is defined twice`);
      labels[name] = pending.length;
      text = m[2].trim();
    }
    if (!text) return;
    const sp = text.search(/\s/);
    const mnemonic = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
    const rest = sp < 0 ? "" : text.slice(sp).trim();
    const operands = rest ? rest.split(",").map((s) => s.trim()) : [];
    if (operands.some((o) => o === "")) throw new AssemblyError(line, `empty operand in "${text}"`);
    pending.push({ line, mnemonic, operands });
  });

  const words: bigint[] = [];
  const lines: number[] = [];
  for (const p of pending) {
    words.push(assembleOne(p, labels));
    lines.push(p.line);
  }
  return { words, labels, lines };
}

function assembleOne({ line, mnemonic, operands }: Pending, labels: Record<string, number>): bigint {
  const want = (n: number, form: string) => {
    if (operands.length !== n)
      throw new AssemblyError(line, `${mnemonic} takes ${n} operand(s) (${mnemonic} ${form}), got ${operands.length}`);
  };
  const reg = (k: number) => parseRegister(operands[k], line);
  const imm = (k: number) => parseImm(operands[k], labels, line);
  if (mnemonic === ".WORD") {
    want(1, "value");
    const v = parseNumber(operands[0]);
    if (v === null || v >= SNARK_SCALAR_FIELD)
      throw new AssemblyError(line, `.word needs a field element (0 <= value < r), got "${operands[0]}"`);
    return v;
  }
  if (mnemonic in PSEUDO) {
    if (mnemonic === "LI") {
      want(2, "rd, imm");
      return encode({ op: Op.ADDI, rd: reg(0), rs1: 0, rs2: 0, imm: imm(1) });
    }
    if (mnemonic === "MOV") {
      want(2, "rd, rs");
      return encode({ op: Op.ADDI, rd: reg(0), rs1: reg(1), rs2: 0, imm: 0 });
    }
    want(0, "");
    return encode({ op: Op.ADDI, rd: 0, rs1: 0, rs2: 0, imm: 0 });
  }
  if (!(mnemonic in Op)) throw new AssemblyError(line, `unknown instruction "${mnemonic}"`);
  const name = mnemonic as OpName;
  const f: Fields = { op: Op[name], rd: 0, rs1: 0, rs2: 0, imm: 0 };
  switch (SHAPE[name]) {
    case "R":
      want(3, "rd, rs1, rs2");
      [f.rd, f.rs1, f.rs2] = [reg(0), reg(1), reg(2)];
      break;
    case "I":
      want(3, "rd, rs1, imm");
      [f.rd, f.rs1, f.imm] = [reg(0), reg(1), imm(2)];
      break;
    case "J":
      want(1, "target");
      f.imm = imm(0);
      break;
    case "B":
      want(3, "rs1, rs2, target");
      [f.rs1, f.rs2, f.imm] = [reg(0), reg(1), imm(2)];
      break;
    case "D":
      want(1, "rd");
      f.rd = reg(0);
      break;
    case "P":
      want(2, "rd, k");
      f.rd = reg(0);
      f.rs1 = parseImm(operands[1], labels, line, NUM_REGS - 1, "parameter index");
      break;
    case "S":
      want(1, "rs");
      f.rs1 = reg(0);
      break;
    case "A":
      want(2, "rs1, rs2");
      [f.rs1, f.rs2] = [reg(0), reg(1)];
      break;
    case "N":
      want(0, "");
      break;
  }
  return encode(f);
}

/** One instruction as text, or null when the word is not a canonical instruction (unused fields non-zero). */
export function formatInstruction(word: bigint, target: (addr: number) => string = String): string | null {
  const f = decode(word);
  if (!f) return null;
  const name = OP_NAMES[f.op];
  const r = (n: number) => `r${n}`;
  const used: Record<string, boolean> = { rd: false, rs1: false, rs2: false, imm: false };
  let text: string;
  switch (SHAPE[name]) {
    case "R":
      Object.assign(used, { rd: true, rs1: true, rs2: true });
      text = `${name} ${r(f.rd)}, ${r(f.rs1)}, ${r(f.rs2)}`;
      break;
    case "I":
      Object.assign(used, { rd: true, rs1: true, imm: true });
      text = `${name} ${r(f.rd)}, ${r(f.rs1)}, ${f.imm}`;
      break;
    case "J":
      used.imm = true;
      text = `${name} ${target(f.imm)}`;
      break;
    case "B":
      Object.assign(used, { rs1: true, rs2: true, imm: true });
      text = `${name} ${r(f.rs1)}, ${r(f.rs2)}, ${target(f.imm)}`;
      break;
    case "D":
      used.rd = true;
      text = `${name} ${r(f.rd)}`;
      break;
    case "P":
      Object.assign(used, { rd: true, rs1: true });
      text = `${name} ${r(f.rd)}, ${f.rs1}`;
      break;
    case "S":
      used.rs1 = true;
      text = `${name} ${r(f.rs1)}`;
      break;
    case "A":
      Object.assign(used, { rs1: true, rs2: true });
      text = `${name} ${r(f.rs1)}, ${r(f.rs2)}`;
      break;
    default:
      text = name;
  }
  for (const k of ["rd", "rs1", "rs2", "imm"] as const) if (!used[k] && f[k] !== 0) return null;
  return text;
}

/**
 * Program words as assembly source that assembles back to the same words: branch targets get
 * labels L<index>, and words that are not canonical instructions become `.word` lines.
 */
export function disassemble(words: readonly bigint[]): string {
  const targets = new Set<number>();
  for (const w of words) {
    const f = decode(w);
    if (f && (SHAPE[OP_NAMES[f.op]] === "J" || SHAPE[OP_NAMES[f.op]] === "B") && f.imm < words.length)
      targets.add(f.imm);
  }
  const label = (a: number) => (targets.has(a) ? `L${a}` : String(a));
  return words
    .map((w, i) => {
      const text = formatInstruction(w, label) ?? `.word 0x${w.toString(16)}`;
      return `${targets.has(i) ? `L${i}:` : ""}\t${text}\t; ${i}`;
    })
    .join("\n")
    .concat("\n");
}
