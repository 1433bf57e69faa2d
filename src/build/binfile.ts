/**
 * Minimal readers for the iden3 binary container (".ptau", ".zkey", ".r1cs": magic, version, then
 * typed sections). Only headers are read, so checking a multi-GB ptau costs a few reads.
 */
import fs from "node:fs";

interface Section {
  offset: number;
  size: number;
}

interface BinFile {
  fd: number;
  sections: Map<number, Section[]>;
}

function openBinFile(file: string, magic: string): BinFile {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(12);
    if (fs.readSync(fd, head, 0, 12, 0) !== 12 || head.toString("latin1", 0, 4) !== magic) {
      throw new Error(`${file} is not a .${magic} file (bad magic)`);
    }
    const nSections = head.readUInt32LE(8);
    const sections = new Map<number, Section[]>();
    const stat = fs.fstatSync(fd);
    let pos = 12;
    const sh = Buffer.alloc(12);
    for (let i = 0; i < nSections; i++) {
      if (fs.readSync(fd, sh, 0, 12, pos) !== 12) throw new Error(`${file} is truncated (section table)`);
      const type = sh.readUInt32LE(0);
      const size = Number(sh.readBigUInt64LE(4));
      const offset = pos + 12;
      if (offset + size > stat.size) throw new Error(`${file} is truncated (section ${type})`);
      if (!sections.has(type)) sections.set(type, []);
      sections.get(type)!.push({ offset, size });
      pos = offset + size;
    }
    return { fd, sections };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

function readSection(bf: BinFile, type: number, maxBytes = 4096): Buffer {
  const s = bf.sections.get(type);
  if (!s || s.length !== 1) throw new Error(`missing or duplicated section ${type}`);
  const len = Math.min(s[0].size, maxBytes);
  const buf = Buffer.alloc(len);
  fs.readSync(bf.fd, buf, 0, len, s[0].offset);
  return buf;
}

export interface PtauHeader {
  /** Maximum circuit size is 2^power. */
  power: number;
  /** Power of the ceremony the file was truncated from. */
  ceremonyPower: number;
  /** Curve base field order (bn128 for everything here). */
  q: bigint;
  /** True when `prepare phase2` ran (sections 12+ present): required for setups. */
  prepared: boolean;
}

function readLe(buf: Buffer, offset: number, n8: number): bigint {
  let x = 0n;
  for (let i = n8 - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[offset + i]);
  return x;
}

/** Header of a powers-of-tau file; throws if the file is not one. */
export function readPtauHeader(file: string): PtauHeader {
  const bf = openBinFile(file, "ptau");
  try {
    const h = readSection(bf, 1);
    const n8 = h.readUInt32LE(0);
    const q = readLe(h, 4, n8);
    const power = h.readUInt32LE(4 + n8);
    const ceremonyPower = h.readUInt32LE(8 + n8);
    return { power, ceremonyPower, q, prepared: bf.sections.has(12) };
  } finally {
    fs.closeSync(bf.fd);
  }
}

export interface ZkeyHeader {
  protocol: "groth16" | "plonk" | "fflonk" | "unknown";
  /** PLONK only: number of PLONK gates (snarkjs "Plonk constraints"), incl. one per public signal. */
  plonkConstraints?: number;
  /** PLONK only: number of addition gates snarkjs inserted to split long linear combinations. */
  plonkAdditions?: number;
  domainSize?: number;
}

/** Protocol (and PLONK gate counts) of a .zkey file. */
export function readZkeyHeader(file: string): ZkeyHeader {
  const bf = openBinFile(file, "zkey");
  try {
    const id = readSection(bf, 1).readUInt32LE(0);
    if (id === 1) return { protocol: "groth16" };
    if (id === 10) return { protocol: "fflonk" };
    if (id !== 2) return { protocol: "unknown" };
    const h = readSection(bf, 2);
    const n8q = h.readUInt32LE(0);
    let o = 4 + n8q;
    const n8r = h.readUInt32LE(o);
    o += 4 + n8r;
    // nVars, nPublic, domainSize, nAdditions, nConstraints
    const domainSize = h.readUInt32LE(o + 8);
    const plonkAdditions = h.readUInt32LE(o + 12);
    const plonkConstraints = h.readUInt32LE(o + 16);
    return { protocol: "plonk", domainSize, plonkAdditions, plonkConstraints };
  } finally {
    fs.closeSync(bf.fd);
  }
}
