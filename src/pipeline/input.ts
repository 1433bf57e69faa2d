/**
 * Application input: CSV (header row: applicantId,score[,salt]) or JSON (an array of
 * {applicantId, score, salt?}). Every row is validated and EVERY problem is reported with its row
 * number; when any row is bad nothing is returned (ApplicationsInvalidError), so nothing is
 * proven or sent. Missing salts are drawn from a cryptographic RNG by `assignSalts`.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { parse as parseCsv } from "csv-parse/sync";
import { SNARK_SCALAR_FIELD } from "../field";
import { ApplicationsInvalidError, type RowIssue } from "./errors";

export const FIELDS = ["applicantId", "score", "salt"] as const;
const REQUIRED = ["applicantId", "score"] as const;

/** A validated application; salt is undefined when the file gave none. */
export interface ApplicationInput {
  row: number;
  applicantId: bigint;
  score: bigint;
  salt?: bigint;
}

/** An application with its salt; `saltGenerated` marks salts this tool drew (they exist only in the receipts). */
export interface SaltedApplication {
  applicantId: bigint;
  score: bigint;
  salt: bigint;
  saltGenerated: boolean;
}

export type InputFormat = "csv" | "json";

export interface ParseOptions {
  /** Scores must be < 2^scoreBits (the policy circuit's range check). */
  scoreBits: number;
  /** Name used in error messages. */
  source?: string;
}

interface RawRow {
  row: number;
  line?: number;
  values: Record<string, unknown>;
}

export function formatFromPath(file: string): InputFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".json") return "json";
  throw new Error(`${file}: unknown input format "${ext}"; use a .csv or .json file`);
}

/** Reads and validates an applications file (format from the extension). */
export function readApplications(file: string, options: ParseOptions): ApplicationInput[] {
  return parseApplications(fs.readFileSync(file, "utf8"), formatFromPath(file), { source: file, ...options });
}

/** Parses and validates applications; throws ApplicationsInvalidError listing every bad row. */
export function parseApplications(text: string, format: InputFormat, options: ParseOptions): ApplicationInput[] {
  const source = options.source ?? "input";
  const issues: RowIssue[] = [];
  const rows = format === "csv" ? csvRows(text, issues) : jsonRows(text, issues);
  const maxScore = 1n << BigInt(options.scoreBits);
  const seen = new Map<bigint, number>();
  const out: ApplicationInput[] = [];
  for (const raw of rows) {
    const at = { row: raw.row, line: raw.line };
    const report = (field: string | undefined, reason: string) => issues.push({ ...at, field, reason });
    for (const key of Object.keys(raw.values)) {
      if (!(FIELDS as readonly string[]).includes(key))
        report(key, `unknown field "${key}" (expected ${FIELDS.join(", ")})`);
    }
    for (const key of REQUIRED) if (isBlank(raw.values[key])) report(key, `missing ${key}`);
    const id = isBlank(raw.values.applicantId) ? undefined : integer(raw.values.applicantId);
    const score = isBlank(raw.values.score) ? undefined : integer(raw.values.score);
    const salt = isBlank(raw.values.salt) ? undefined : integer(raw.values.salt);
    let ok = !isBlank(raw.values.applicantId) && !isBlank(raw.values.score);
    if (!isBlank(raw.values.applicantId)) ok = checkField("applicantId", raw.values.applicantId, id, report) && ok;
    if (!isBlank(raw.values.salt)) ok = checkField("salt", raw.values.salt, salt, report) && ok;
    if (!isBlank(raw.values.score)) {
      if (score === undefined) {
        report("score", `score must be a non-negative integer, got ${show(raw.values.score)}`);
        ok = false;
      } else if (score < 0n || score >= maxScore) {
        report("score", `score ${score} is out of range: it must satisfy 0 <= score < 2^${options.scoreBits}`);
        ok = false;
      }
    }
    if (id !== undefined && id >= 0n && id < SNARK_SCALAR_FIELD) {
      const first = seen.get(id);
      if (first !== undefined) {
        report("applicantId", `duplicate applicantId ${id} (first seen at row ${first})`);
        ok = false;
      } else seen.set(id, raw.row);
    }
    if (ok && id !== undefined && score !== undefined) out.push({ row: raw.row, applicantId: id, score, salt });
  }
  if (issues.length === 0 && out.length === 0) issues.push({ row: 0, reason: "the file contains no applications" });
  if (issues.length > 0) throw new ApplicationsInvalidError(source, issues);
  return out;
}

/** Fills missing salts from a cryptographic RNG (uniform below r, by rejection sampling). */
export function assignSalts(
  apps: readonly ApplicationInput[],
  random: () => bigint = randomFieldElement,
): SaltedApplication[] {
  return apps.map((a) => ({
    applicantId: a.applicantId,
    score: a.score,
    salt: a.salt ?? random(),
    saltGenerated: a.salt === undefined,
  }));
}

/** A uniformly random field element from node:crypto. */
export function randomFieldElement(): bigint {
  for (;;) {
    const bytes = crypto.randomBytes(32);
    bytes[0] &= 0x3f; // 254 bits: r > 2^253, so at least half of the draws are accepted
    const x = BigInt("0x" + bytes.toString("hex"));
    if (x < SNARK_SCALAR_FIELD) return x;
  }
}

function checkField(
  field: string,
  raw: unknown,
  value: bigint | undefined,
  report: (field: string, reason: string) => void,
): boolean {
  if (value === undefined) {
    report(field, `${field} must be a non-negative integer (decimal or 0x-hex), got ${show(raw)}`);
    return false;
  }
  if (value < 0n || value >= SNARK_SCALAR_FIELD) {
    report(
      field,
      `${field} ${value} is outside the field: it must satisfy 0 <= ${field} < r (BN254 scalar field order)`,
    );
    return false;
  }
  return true;
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

/** Integer from a decimal/0x string or a safe JSON integer; undefined when it is not one. Negative allowed (range-checked later). */
function integer(v: unknown): bigint | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v === "bigint") return v;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^-?[0-9]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  return undefined;
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function csvRows(text: string, issues: RowIssue[]): RawRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      bom: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    issues.push({ row: 0, reason: `not valid CSV: ${(err as Error).message}` });
    return [];
  }
  if (records.length === 0) return [];
  const header = records[0].record;
  for (const key of REQUIRED) {
    if (!header.includes(key))
      issues.push({ row: 0, reason: `the header has no "${key}" column (expected ${FIELDS.join(",")})` });
  }
  if (issues.length > 0) return [];
  return records.slice(1).map((r, i) => {
    const values: Record<string, unknown> = {};
    const row = i + 1;
    if (r.record.length !== header.length) {
      issues.push({
        row,
        line: r.info.lines,
        reason: `has ${r.record.length} column(s), the header has ${header.length}`,
      });
    }
    header.forEach((key, c) => {
      if (c < r.record.length) values[key] = r.record[c];
    });
    return { row, line: r.info.lines, values };
  });
}

function jsonRows(text: string, issues: RowIssue[]): RawRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    issues.push({ row: 0, reason: `not valid JSON: ${(err as Error).message}` });
    return [];
  }
  const list = Array.isArray(data) ? data : (data as { applications?: unknown })?.applications;
  if (!Array.isArray(list)) {
    issues.push({
      row: 0,
      reason: `expected a JSON array of {applicantId, score, salt?} (or {"applications": [...]})`,
    });
    return [];
  }
  return list
    .map((entry, i) => {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
        issues.push({
          row: i + 1,
          reason: `expected an object {applicantId, score, salt?}, got ${JSON.stringify(entry)}`,
        });
        return { row: i + 1, values: { applicantId: undefined, score: undefined, __skip: true } };
      }
      return { row: i + 1, values: entry as Record<string, unknown> };
    })
    .filter((r) => !(r.values as { __skip?: boolean }).__skip);
}
