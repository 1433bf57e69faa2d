/**
 * Audit: is a deployed verifier exactly the snarkjs verifier this repository generates from a known
 * verification key? The StateAnchor trusts whatever its verifier addresses return, so a contract that
 * answers true for everything (or a verifier for somebody else's key) must be caught.
 *
 * The check regenerates the Solidity source from the key as `snarkjs zKey.exportSolidityVerifier`
 * does (the snarkjs template rendered with the ejs snarkjs depends on, renamed by src/build/setup.ts),
 * compiles it with the npm `solc` (the soljson Hardhat uses) and the settings of src/anchor/compiler.ts,
 * and compares the runtime code byte for byte. Only solc's CBOR metadata trailer is left out: it holds
 * a hash of the source text (header comment and contract name included), which does not change what
 * the code does. The key constants found in the code (PUSH immediates or words solc stores after the
 * code) are extra evidence, never a substitute.
 */
import crypto from "node:crypto";
import path from "node:path";
import { keccak256 } from "ethers";
import { SOLC_SETTINGS, SOLC_VERSION, type SolcSettings } from "../anchor/compiler";
import { renameVerifierContract, SNARKJS_NAMES } from "../build/setup";
import { SNARKJS_VERSION, verifierTemplates } from "../build/snarkjs";

/* eslint-disable @typescript-eslint/no-require-imports */

export type ProofSystem = "groth16" | "plonk";

/** Raised on bad input (hex, key, proof system) or when regeneration or compilation fails. */
export class VerifierCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VerifierCodeError";
  }
}

// ---------------------------------------------------------------------------------------------
// Regeneration
// ---------------------------------------------------------------------------------------------

interface Ejs {
  render(template: string, data: object): string;
}

/** The ejs snarkjs itself resolves (its dependency, not whatever else is installed). */
let ejsModule: { ejs: Ejs; version: string } | undefined;
function snarkjsEjs(): { ejs: Ejs; version: string } {
  if (!ejsModule) {
    const from = { paths: [path.dirname(require.resolve("snarkjs"))] };
    const ejs = require(require.resolve("ejs", from)) as Ejs;
    const version = (require(require.resolve("ejs/package.json", from)) as { version: string }).version;
    ejsModule = { ejs, version };
  }
  return ejsModule;
}

/** Version of the ejs package snarkjs renders its verifier templates with. */
export function ejsVersion(): string {
  return snarkjsEjs().version;
}

function checkProofSystem(proofSystem: string): asserts proofSystem is ProofSystem {
  if (proofSystem !== "groth16" && proofSystem !== "plonk") {
    throw new VerifierCodeError(`unknown proof system "${proofSystem}": use "groth16" or "plonk"`);
  }
}

/** snarkjs writes keys with numbers as decimal strings; accept bigints too (as stringifyBigInts would). */
function normalizeKey(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(normalizeKey);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeKey(v)]));
  }
  return value;
}

function checkKey(vkey: object, proofSystem: ProofSystem): Record<string, unknown> {
  const key = normalizeKey(vkey) as Record<string, unknown>;
  if (key.protocol !== proofSystem) {
    throw new VerifierCodeError(
      `the verification key is for protocol ${JSON.stringify(key.protocol)}, not ${proofSystem}: ` +
        `pass the key exported from the ${proofSystem} zkey (snarkjs zkey export verificationkey)`,
    );
  }
  if (key.curve !== "bn128") {
    throw new VerifierCodeError(
      `the verification key is on curve ${JSON.stringify(key.curve)}: the snarkjs Solidity verifiers are for bn128`,
    );
  }
  const required =
    proofSystem === "groth16" ? ["vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"] : PLONK_FIELDS;
  const missing = required.filter((f) => key[f] === undefined);
  if (missing.length > 0) {
    throw new VerifierCodeError(
      `the ${proofSystem} verification key has no ${missing.join(", ")}: pass the JSON written by ` +
        `snarkjs zkey export verificationkey (build/<profile>/<circuit>/<circuit>.vkey.json)`,
    );
  }
  return key;
}

const PLONK_FIELDS = ["power", "nPublic", "k1", "k2", "Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3", "X_2", "w"];

/**
 * The Solidity verifier snarkjs `zKey.exportSolidityVerifier` writes for this key (its template rendered
 * with the key), renamed to `contractName` by src/build/setup.ts, under a short header comment of ours
 * in place of snarkjs's SPDX line (the generated contracts carry a longer one; the rest is identical).
 */
export function renderVerifierSource(vkey: object, proofSystem: ProofSystem, contractName: string): string {
  checkProofSystem(proofSystem);
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(contractName)) {
    throw new VerifierCodeError(`"${contractName}" is not a Solidity contract name: use letters, digits, _ or $`);
  }
  const key = checkKey(vkey, proofSystem);
  const rendered = snarkjsEjs().ejs.render(verifierTemplates()[proofSystem], key);
  const body = renameVerifierContract(rendered, proofSystem, contractName);
  if (body === null) {
    throw new VerifierCodeError(
      `snarkjs ${SNARKJS_VERSION} ${proofSystem} verifier template changed: expected one ` +
        `"contract ${SNARKJS_NAMES[proofSystem]}"; update src/build/setup.ts and this audit together`,
    );
  }
  return (
    [
      "// SPDX-License-Identifier: GPL-3.0",
      `// Regenerated by src/audit/verifier-code.ts from a verification key: snarkjs ${SNARKJS_VERSION} ` +
        `${proofSystem} template (ejs ${ejsVersion()}), contract renamed from ${SNARKJS_NAMES[proofSystem]}.`,
      "",
    ].join("\n") + body
  );
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

export interface CompiledVerifier {
  /** 0x-prefixed runtime code (what the chain stores at the address), metadata trailer included. */
  runtimeBytecode: string;
  abi: unknown[];
  /** 0x-prefixed creation code (deploy with `new ContractFactory(abi, bytecode, signer)`). */
  bytecode: string;
}

interface Solc {
  version(): string;
  compile(input: string): string;
}

let solcModule: Solc | undefined;
/** solc-js takes about a second to load: once, on first use. */
function solc(): Solc {
  if (!solcModule) {
    const loaded = require("solc") as Solc;
    const version = loaded.version();
    if (!version.startsWith(`${SOLC_VERSION}+`)) {
      throw new VerifierCodeError(
        `npm solc is ${version} but the contracts are built with ${SOLC_VERSION} (src/anchor/compiler.ts): run npm ci`,
      );
    }
    solcModule = loaded;
  }
  return solcModule;
}

const compiled = new Map<string, Promise<CompiledVerifier>>();

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/**
 * Compiles `source` with solc-js (npm `solc`, version SOLC_VERSION) and `settings` (default: SOLC_SETTINGS,
 * the settings of every contract in contracts/). Results are cached in memory by source, name and settings.
 */
export function compileVerifier(
  source: string,
  contractName: string,
  settings: SolcSettings = SOLC_SETTINGS,
): Promise<CompiledVerifier> {
  const cacheKey = crypto
    .createHash("sha256")
    .update(JSON.stringify([source, contractName, settings]))
    .digest("hex");
  let result = compiled.get(cacheKey);
  if (!result) {
    result = Promise.resolve().then(() => compileNow(source, contractName, settings));
    compiled.set(cacheKey, result);
    result.catch(() => compiled.delete(cacheKey));
  }
  return result;
}

function compileNow(source: string, contractName: string, settings: SolcSettings): CompiledVerifier {
  const file = `${contractName}.sol`;
  const input = {
    language: "Solidity",
    sources: { [file]: { content: source } },
    settings: {
      optimizer: { ...settings.optimizer },
      evmVersion: settings.evmVersion,
      outputSelection: { [file]: { [contractName]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc().compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new VerifierCodeError(
      `solc ${SOLC_VERSION} could not compile ${contractName}: ${errors.map((e) => e.formattedMessage).join("\n")}`,
    );
  }
  const contract = output.contracts?.[file]?.[contractName];
  if (!contract) {
    throw new VerifierCodeError(`the source compiled but declares no contract ${contractName}: pass its contract name`);
  }
  return {
    runtimeBytecode: `0x${contract.evm.deployedBytecode.object}`,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Bytecode comparison
// ---------------------------------------------------------------------------------------------

function normalizeHex(hex: string, what: string): string {
  const h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new VerifierCodeError(`${what} is not hex bytes (0x followed by an even number of hex digits)`);
  }
  return h.toLowerCase();
}

/**
 * Reads one CBOR item of the kinds solc writes in its metadata (text and byte strings, booleans) at `at`:
 * its major type and the offset after it, or null when `b` does not hold such an item there.
 */
function cborItem(b: Buffer, at: number): { end: number; major: number } | null {
  if (at >= b.length) return null;
  const first = b[at];
  const major = first >> 5;
  const info = first & 0x1f;
  if (major === 7) return info === 20 || info === 21 ? { end: at + 1, major } : null; // false / true
  if (major !== 2 && major !== 3) return null;
  let len: number;
  let start: number;
  if (info < 24) [len, start] = [info, at + 1];
  else if (info === 24 && at + 1 < b.length) [len, start] = [b[at + 1], at + 2];
  else if (info === 25 && at + 2 < b.length) [len, start] = [b.readUInt16BE(at + 1), at + 3];
  else return null;
  return start + len <= b.length ? { end: start + len, major } : null;
}

/** Whether `cbor` is exactly one map of text keys to strings or booleans (the shape of solc's metadata). */
function isSolcMetadata(cbor: Buffer): boolean {
  if (cbor.length === 0 || cbor[0] >> 5 !== 5 || (cbor[0] & 0x1f) === 0 || (cbor[0] & 0x1f) >= 24) return false;
  let at = 1;
  for (let i = 0; i < (cbor[0] & 0x1f); i++) {
    const k = cborItem(cbor, at);
    if (!k || k.major !== 3) return false;
    const v = cborItem(cbor, k.end);
    if (!v) return false;
    at = v.end;
  }
  return at === cbor.length;
}

/**
 * Splits runtime code into the code and solc's metadata trailer (a CBOR map followed by its length as
 * 2 big-endian bytes). Without a well-formed trailer the whole input is code and metadata is null.
 * Both are returned as lowercase hex without 0x.
 */
export function stripMetadata(runtimeHex: string): { code: string; metadata: string | null } {
  const hex = normalizeHex(runtimeHex, "the runtime code");
  const b = Buffer.from(hex, "hex");
  if (b.length < 2) return { code: hex, metadata: null };
  const len = b.readUInt16BE(b.length - 2);
  if (len + 2 > b.length || !isSolcMetadata(b.subarray(b.length - 2 - len, b.length - 2))) {
    return { code: hex, metadata: null };
  }
  const cut = (b.length - 2 - len) * 2;
  return { code: hex.slice(0, cut), metadata: hex.slice(cut) };
}

/** The solc version recorded in a metadata trailer ("0.8.28"), or null. */
export function metadataSolcVersion(metadataHex: string | null): string | null {
  if (!metadataHex) return null;
  // "solc" as a CBOR text key, then a 3-byte byte string (major 2, length 3 = 0x43).
  const m = /64736f6c6343([0-9a-f]{6})/.exec(metadataHex);
  if (!m) return null;
  const v = Buffer.from(m[1], "hex");
  return `${v[0]}.${v[1]}.${v[2]}`;
}

/** Start of the instruction that covers byte `offset` (a PUSH immediate belongs to its PUSH). */
function instructionAt(code: Buffer, offset: number): { start: number; op: number } {
  let pc = 0;
  while (pc < code.length) {
    const op = code[pc];
    const size = op >= 0x60 && op <= 0x7f ? op - 0x5e : 1;
    if (offset < pc + size) return { start: pc, op };
    pc += size;
  }
  return { start: offset, op: -1 };
}

export interface CodeComparison {
  match: boolean;
  /** Bytes of code (metadata excluded) found equal: all of it on a match, else the offset of the first difference. */
  comparedBytes: number;
  /** What was compared and the verdict, for a report. */
  reason: string;
}

const METADATA_NOTE =
  "solc's CBOR metadata trailer excluded from both (it hashes the source text, header comment and contract " +
  "name included, which do not change behaviour)";

/** Byte equality of two runtime codes after removing the metadata trailer of each. */
export function compareVerifierCode(deployedRuntimeHex: string, expectedRuntimeHex: string): CodeComparison {
  const deployed = Buffer.from(stripMetadata(deployedRuntimeHex).code, "hex");
  const expected = Buffer.from(stripMetadata(expectedRuntimeHex).code, "hex");
  if (deployed.length === 0) {
    return { match: false, comparedBytes: 0, reason: "no code deployed at the address (an account without code)" };
  }
  if (deployed.equals(expected)) {
    return {
      match: true,
      comparedBytes: deployed.length,
      reason: `all ${deployed.length} bytes of runtime code equal; ${METADATA_NOTE}`,
    };
  }
  const n = Math.min(deployed.length, expected.length);
  let i = 0;
  while (i < n && deployed[i] === expected[i]) i++;
  const sizes = `deployed ${deployed.length} bytes, expected ${expected.length} bytes`;
  if (i === n) {
    const [shorter, longer] = deployed.length < expected.length ? ["deployed", "expected"] : ["expected", "deployed"];
    return {
      match: false,
      comparedBytes: i,
      reason: `the ${shorter} code is a prefix of the ${longer} code (${sizes}); ${METADATA_NOTE}`,
    };
  }
  const ins = instructionAt(expected, i);
  const where =
    ins.op >= 0x60 && ins.op <= 0x7f && ins.start < i
      ? ` (inside the PUSH${ins.op - 0x5f} immediate at byte ${ins.start}: a different constant)`
      : "";
  return {
    match: false,
    comparedBytes: i,
    reason:
      `first difference at byte ${i} (0x${i.toString(16)})${where}: deployed 0x${deployed[i].toString(16).padStart(2, "0")}, ` +
      `expected 0x${expected[i].toString(16).padStart(2, "0")}; ${sizes}; ${METADATA_NOTE}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Key constants (extra evidence)
// ---------------------------------------------------------------------------------------------

/**
 * The values of the verification key the snarkjs template writes into the contract as constants, in
 * template order (distinct values only; 0 stands for a point at infinity in PLONK's y coordinates).
 */
export function embeddedKeyConstants(vkey: object, proofSystem: ProofSystem): bigint[] {
  checkProofSystem(proofSystem);
  const k = checkKey(vkey, proofSystem);
  const g1 = (f: string) => k[f] as string[];
  const g2 = (f: string) => k[f] as string[][];
  const values: unknown[] = [];
  if (proofSystem === "groth16") {
    values.push(g1("vk_alpha_1")[0], g1("vk_alpha_1")[1]);
    for (const f of ["vk_beta_2", "vk_gamma_2", "vk_delta_2"]) {
      const p = g2(f);
      values.push(p[0][1], p[0][0], p[1][1], p[1][0]);
    }
    for (const p of g2("IC")) values.push(p[0], p[1]);
  } else {
    values.push(k.w);
    for (const f of ["Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3"]) {
      const p = g1(f);
      values.push(p[0], p[0] === "0" ? "0" : p[1]);
    }
    const x2 = g2("X_2");
    values.push(k.k1, k.k2, x2[0][0], x2[0][1], x2[1][0], x2[1][1]);
  }
  const out: bigint[] = [];
  for (const v of values) {
    let n: bigint;
    try {
      n = BigInt(v as string);
    } catch {
      throw new VerifierCodeError(`the verification key holds ${JSON.stringify(v)} where a decimal number belongs`);
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * The constants a runtime code can hold (metadata stripped first): the values of its PUSH0..PUSH32
 * instructions (any width: the optimizer drops leading zero bytes) and any 32-byte word in it (solc's
 * constant optimizer may store a constant after the code and load it with CODECOPY instead of a PUSH).
 */
export function codeConstants(codeHex: string): { has(value: bigint): boolean } {
  const hex = stripMetadata(codeHex).code;
  const code = Buffer.from(hex, "hex");
  const pushed = new Set<bigint>();
  let pc = 0;
  while (pc < code.length) {
    const op = code[pc];
    if (op === 0x5f) pushed.add(0n);
    if (op >= 0x60 && op <= 0x7f) {
      const size = op - 0x5f;
      const imm = code.subarray(pc + 1, pc + 1 + size);
      pushed.add(imm.length === 0 ? 0n : BigInt(`0x${imm.toString("hex")}`));
      pc += size;
    }
    pc++;
  }
  const inData = (value: bigint): boolean => {
    if (value < 0n || value >= 1n << 256n) return false;
    const word = value.toString(16).padStart(64, "0");
    for (let i = hex.indexOf(word); i >= 0; i = hex.indexOf(word, i + 1)) if (i % 2 === 0) return true;
    return false;
  };
  return { has: (value) => pushed.has(value) || inData(value) };
}

/** Which constants of the key the code holds (see codeConstants): extra evidence, never a substitute for byte equality. */
export function keyConstantsInCode(
  codeHex: string,
  vkey: object,
  proofSystem: ProofSystem,
): { total: number; found: number; missing: bigint[] } {
  const inCode = codeConstants(codeHex);
  const constants = embeddedKeyConstants(vkey, proofSystem);
  const missing = constants.filter((c) => !inCode.has(c));
  return { total: constants.length, found: constants.length - missing.length, missing };
}

// ---------------------------------------------------------------------------------------------
// Matching a deployed verifier against candidate keys
// ---------------------------------------------------------------------------------------------

export interface VerifierCandidate {
  label: string;
  vkey: object;
  proofSystem: ProofSystem;
}

export interface CandidateEvidence {
  label: string;
  proofSystem: ProofSystem;
  match: boolean;
  /** keccak256 of the regenerated runtime code without its metadata trailer. */
  expectedCodeHash: string;
  expectedBytes: number;
  /** Key constants of this candidate held by the deployed code (see codeConstants): found of total. */
  keyConstants: { total: number; found: number };
  reason: string;
}

export interface VerifierMatchEvidence {
  /** keccak256 of the deployed runtime code without its metadata trailer. */
  deployedCodeHash: string;
  deployedBytes: number;
  metadataBytes: number;
  /** Compiler version in the deployed metadata trailer, when there is one. */
  deployedSolc: string | null;
  /** How the expected code was made. */
  generator: string;
  candidates: CandidateEvidence[];
}

export interface VerifierMatch {
  /** Label of the (first) candidate whose regenerated verifier equals the deployed code, else null. */
  matched: string | null;
  evidence: VerifierMatchEvidence;
}

/** Contract name used when regenerating (it only changes the metadata trailer, which is not compared). */
const AUDIT_CONTRACT = { groth16: "AuditGroth16Verifier", plonk: "AuditPlonkVerifier" } as const;

/**
 * Regenerates and compiles the verifier of every candidate key and compares each with `deployedRuntimeHex`
 * (eth_getCode of the verifier address). Every candidate is checked, so duplicates show in the evidence.
 */
export async function matchVerifier(
  deployedRuntimeHex: string,
  candidates: readonly VerifierCandidate[],
): Promise<VerifierMatch> {
  const deployed = stripMetadata(deployedRuntimeHex);
  const evidence: VerifierMatchEvidence = {
    deployedCodeHash: keccak256(`0x${deployed.code}`),
    deployedBytes: deployed.code.length / 2,
    metadataBytes: (deployed.metadata?.length ?? 0) / 2,
    deployedSolc: metadataSolcVersion(deployed.metadata),
    generator:
      `snarkjs ${SNARKJS_VERSION} verifier templates (ejs ${ejsVersion()}), solc ${SOLC_VERSION} ` +
      `(optimizer ${SOLC_SETTINGS.optimizer.enabled ? `on, runs ${SOLC_SETTINGS.optimizer.runs}` : "off"}, ` +
      `evmVersion ${SOLC_SETTINGS.evmVersion})`,
    candidates: [],
  };
  const inCode = codeConstants(deployedRuntimeHex);
  let matched: string | null = null;
  for (const c of candidates) {
    checkProofSystem(c.proofSystem);
    const name = AUDIT_CONTRACT[c.proofSystem];
    const runtime = (await compileVerifier(renderVerifierSource(c.vkey, c.proofSystem, name), name)).runtimeBytecode;
    const expected = stripMetadata(runtime);
    const cmp = compareVerifierCode(deployedRuntimeHex, runtime);
    const constants = embeddedKeyConstants(c.vkey, c.proofSystem);
    const found = constants.filter((k) => inCode.has(k)).length;
    evidence.candidates.push({
      label: c.label,
      proofSystem: c.proofSystem,
      match: cmp.match,
      expectedCodeHash: keccak256(`0x${expected.code}`),
      expectedBytes: expected.code.length / 2,
      keyConstants: { total: constants.length, found },
      reason: cmp.reason,
    });
    if (cmp.match && matched === null) matched = c.label;
  }
  return { matched, evidence };
}
