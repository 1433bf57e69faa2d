/**
 * Application input: CSV (comma-separated, header row: applicantId,score[,salt] in any letter case)
 * or JSON (an array of {applicantId, score, salt?}). Values are decimal digits or 0x-hex (JSON may
 * also use safe non-negative integer numbers). Every row is validated and EVERY problem is reported
 * with its row number; when any row is bad nothing is returned (ApplicationsInvalidError), so
 * nothing is proven or sent. Missing salts are drawn from a cryptographic RNG by `assignSalts`.
 * applicantIds are integers in [1, 2^64): 0 is refused (inactive tape slots hold zeros), and so are
 * ids of 2^64 and above (the policy circuit proves the id order of a batch with 64-bit range checks);
 * a given salt below 2^128 is refused too: a
 * uniformly random field element is that small with probability about 2^-126, so such a salt was
 * chosen by hand (a counter, a seed) and would not hide the score.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { parse as parseCsv } from "csv-parse/sync";
import { SNARK_SCALAR_FIELD } from "../../field";
import { APPLICANT_ID_LIMIT } from "../../tape";
import { ApplicationsInvalidError, type RowIssue } from "../errors";

export const FIELDS = ["applicantId", "score", "salt"] as const;
const REQUIRED = ["applicantId", "score"] as const;
type Field = (typeof FIELDS)[number];

/** Echoed input values are cut to this many characters (the last one being the ellipsis). */
const ECHO_MAX = 80;

/** A salt given in the file must be at least this big (see the file header). */
export const MIN_GIVEN_SALT = 1n << 128n;

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
        report(key, `unknown field ${show(key)} (expected ${FIELDS.join(", ")})`);
    }
    for (const key of REQUIRED) if (isBlank(raw.values[key])) report(key, `missing ${key}`);
    const id = isBlank(raw.values.applicantId) ? undefined : integer("applicantId", raw.values.applicantId, report);
    const score = isBlank(raw.values.score) ? undefined : integer("score", raw.values.score, report);
    const salt = isBlank(raw.values.salt) ? undefined : integer("salt", raw.values.salt, report);
    let ok = id !== undefined && score !== undefined && (isBlank(raw.values.salt) || salt !== undefined);
    if (id === 0n) {
      report("applicantId", "applicantId 0 is reserved for empty slots: use ids from 1");
      ok = false;
    }
    if (id !== undefined && id >= APPLICANT_ID_LIMIT) {
      report(
        "applicantId",
        `applicantId ${clip(String(id))} is out of range: it must satisfy 1 <= applicantId < 2^64: ` +
          `use 64-bit integer identifiers, e.g. a database key`,
      );
      ok = false;
    }
    if (salt !== undefined) ok = inField("salt", salt, report) && ok;
    if (salt !== undefined && salt < MIN_GIVEN_SALT) {
      report(
        "salt",
        `salt ${clip(String(salt))} is below 2^128: salts must be uniformly random field elements: omit them to have them drawn`,
      );
      ok = false;
    }
    if (score !== undefined && score >= maxScore) {
      report(
        "score",
        `score ${clip(String(score))} is out of range: it must satisfy 0 <= score < 2^${options.scoreBits}`,
      );
      ok = false;
    }
    if (id !== undefined && id > 0n && id < APPLICANT_ID_LIMIT) {
      const first = seen.get(id);
      if (first !== undefined) {
        report("applicantId", `duplicate applicantId ${id} (first seen at row ${first})`);
        ok = false;
      } else seen.set(id, raw.row);
    }
    if (ok && id !== undefined && score !== undefined) out.push({ row: raw.row, applicantId: id, score, salt });
  }
  if (issues.length === 0 && out.length === 0) issues.push({ row: 0, reason: "the file contains no applications" });
  if (issues.length > 0) {
    issues.sort((a, b) => a.row - b.row); // header / file first, then by row; stable within a row
    throw new ApplicationsInvalidError(source, issues);
  }
  return out;
}

/** Fills missing salts from a cryptographic RNG (uniform below r, by rejection sampling). */
export function assignSalts(
  apps: readonly ApplicationInput[],
  random: () => bigint = randomFieldElement,
): SaltedApplication[] {
  return apps.map((a) => withSalt(a, random));
}

/** One application with its salt: the given one, or one drawn now. */
export function withSalt(a: ApplicationInput, random: () => bigint = randomFieldElement): SaltedApplication {
  return { applicantId: a.applicantId, score: a.score, salt: a.salt ?? random(), saltGenerated: a.salt === undefined };
}

/** Random bytes drawn 32 KiB at a time (one getrandom call per 1,024 salts, not one per salt); used bytes are zeroed. */
const pool = { bytes: Buffer.alloc(32 * 1024), used: 32 * 1024 };

/** A uniformly random field element from node:crypto. */
export function randomFieldElement(): bigint {
  for (;;) {
    if (pool.used === pool.bytes.length) {
      crypto.randomFillSync(pool.bytes);
      pool.used = 0;
    }
    const bytes = pool.bytes.subarray(pool.used, pool.used + 32);
    pool.used += 32;
    bytes[0] &= 0x3f; // 254 bits: r > 2^253, so at least half of the draws are accepted
    const x = BigInt("0x" + bytes.toString("hex"));
    bytes.fill(0);
    if (x < SNARK_SCALAR_FIELD) return x;
  }
}

/** Range check of a field element (the value is already a non-negative integer). */
function inField(field: Field, value: bigint, report: (field: string, reason: string) => void): boolean {
  if (value < SNARK_SCALAR_FIELD) return true;
  report(
    field,
    `${field} ${clip(String(value))} is outside the field: it must satisfy 0 <= ${field} < r (BN254 scalar field order)`,
  );
  return false;
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

/**
 * The non-negative integer a value stands for, or undefined after reporting why it is not one.
 * Strings must be decimal digits or 0x-hex (surrounding spaces ignored): a sign ("-0", "+5"), a
 * point, an exponent or any other form is refused. JSON numbers must be non-negative safe integers:
 * JSON.parse has already rounded bigger ones, so they must be written as strings.
 */
function integer(field: Field, v: unknown, report: (field: string, reason: string) => void): bigint | undefined {
  if (typeof v === "string") {
    const s = v.trim();
    if (/^[0-9]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  } else if (typeof v === "number" && !(v < 0 || Object.is(v, -0))) {
    if (Number.isSafeInteger(v)) return BigInt(v);
    if (!Number.isFinite(v) || Number.isInteger(v)) {
      report(
        field,
        `${field} is a JSON number above Number.MAX_SAFE_INTEGER (2^53 - 1), already rounded by JSON.parse ` +
          `(to ${clip(String(v))}): ` +
          (field === "salt"
            ? `write salts as strings (decimal or 0x-hex), or omit them to have them drawn`
            : `write big numbers as strings, e.g. "${field}": "9007199254740993"`),
      );
      return undefined;
    }
  }
  report(
    field,
    `${field} must be a non-negative integer, got ${show(v)}: ` +
      `write decimal digits (42) or 0x-hex (0x2a), with no sign, point or exponent`,
  );
  return undefined;
}

/** A value as echoed in a message: strings quoted, everything cut to ECHO_MAX characters. */
function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(clip(v));
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  return clip(JSON.stringify(v) ?? String(v));
}

/** Cuts a text to ECHO_MAX characters, the last one being "…" when it was longer. */
function clip(text: string): string {
  const chars = Array.from(text); // by code point: never splits a surrogate pair
  return chars.length <= ECHO_MAX ? text : chars.slice(0, ECHO_MAX - 1).join("") + "…";
}

/** Separators people put in "CSV" files instead of commas, as named in messages. */
const OTHER_SEPARATORS: readonly [string, string][] = [
  [";", "';'"],
  ["\t", "a tab ('\\t')"],
  ["|", "'|'"],
];

/**
 * The separator a file's first non-empty line uses when it is not a comma: the other candidate
 * found most often outside double quotes, when it is found more often than commas.
 */
function foreignSeparator(text: string): string | undefined {
  const first = text
    .replace(/^\uFEFF/, "")
    .split(/\r\n|\n|\r/)
    .find((line) => line.trim() !== "");
  if (first === undefined) return undefined;
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of first) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best: [string, string] | undefined;
  for (const sep of OTHER_SEPARATORS) {
    if ((counts.get(sep[0]) ?? 0) > (best ? (counts.get(best[0]) ?? 0) : (counts.get(",") ?? 0))) best = sep;
  }
  return best?.[1];
}

function csvRows(text: string, issues: RowIssue[]): RawRow[] {
  const separator = foreignSeparator(text);
  if (separator !== undefined) {
    issues.push({ row: 0, reason: `the file uses ${separator} as separator: use commas` });
    return [];
  }
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
  // Header names are matched without regard to letter case: ApplicantID, SCORE and Salt are fine.
  const columns: (Field | undefined)[] = header.map((name) =>
    FIELDS.find((f) => f.toLowerCase() === name.toLowerCase()),
  );
  let fatal = false;
  for (const key of REQUIRED) {
    if (!columns.includes(key)) {
      issues.push({ row: 0, reason: `the header has no "${key}" column (expected ${FIELDS.join(",")})` });
      fatal = true;
    }
  }
  const expected = `expected ${FIELDS.join(", ")}, in any letter case`;
  header.forEach((name, c) => {
    const field = columns[c];
    if (field === undefined) {
      issues.push({
        row: 0,
        reason:
          name === ""
            ? `column ${c + 1} of the header has no name (${expected})`
            : `unknown field ${show(name)} in the header, column ${c + 1} (${expected})`,
      });
      return;
    }
    const first = columns.indexOf(field);
    if (first < c) {
      issues.push({
        row: 0,
        reason: `duplicate column ${show(name)} in the header: column ${c + 1} repeats column ${first + 1} (${show(header[first])}; letter case does not matter)`,
      });
      fatal = true;
    }
  });
  if (fatal) return [];
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
    columns.forEach((field, c) => {
      if (field !== undefined && c < r.record.length) values[field] = r.record[c];
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
          reason: `expected an object {applicantId, score, salt?}, got ${show(entry)}`,
        });
        return { row: i + 1, values: { applicantId: undefined, score: undefined, __skip: true } };
      }
      return { row: i + 1, values: entry as Record<string, unknown> };
    })
    .filter((r) => !(r.values as { __skip?: boolean }).__skip);
}
