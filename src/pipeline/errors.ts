/** Errors the pipeline raises; each has a stable code (src/errors.ts) and says what was wrong and what to do. */
import { ZklaError } from "../errors";

/** One rejected input row. `row` is 1-based among data rows; `line` is the file line (CSV only). */
export interface RowIssue {
  row: number;
  line?: number;
  field?: string;
  reason: string;
}

/**
 * The input file has bad rows (or a bad header / format): nothing was processed. Carries every
 * issue, not just the first. The summary counts rows, not issues: a row with two bad fields is one
 * invalid row, and both of its issues are listed.
 */
export class ApplicationsInvalidError extends ZklaError {
  constructor(
    readonly file: string,
    readonly issues: readonly RowIssue[],
  ) {
    super(
      "invalid-input",
      `${file}: ${summarizeIssues(issues)}; nothing was proven or sent. Fix them and run again:\n` +
        issues.map((i) => "  " + formatIssue(i)).join("\n"),
    );
  }
}

/** "N invalid row(s)", preceded by "invalid file" when the header or the file as a whole is bad (row 0). */
export function summarizeIssues(issues: readonly RowIssue[]): string {
  const rows = new Set(issues.filter((i) => i.row > 0).map((i) => i.row)).size;
  const fileLevel = issues.some((i) => i.row === 0);
  if (!fileLevel) return `${rows} invalid row(s)`;
  return rows === 0 ? "invalid file" : `invalid file and ${rows} invalid row(s)`;
}

export function formatIssue(issue: RowIssue): string {
  const where =
    issue.row === 0 ? "header" : `row ${issue.row}${issue.line !== undefined ? ` (line ${issue.line})` : ""}`;
  return `${where}${issue.field ? ` ${issue.field}` : ""}: ${issue.reason}`;
}

/** The anchor's on-chain state is not on the path this run planned; resubmitting could not help. */
export class ChainDivergedError extends ZklaError {
  constructor(message: string) {
    super("chain-diverged", message, "check anchor:status; plan again with --new-run");
  }
}

/** The anchor rejected a batch (a permanent revert, decoded when the ABI knows the error). */
export class AnchorRevertError extends ZklaError {
  constructor(
    readonly batchIndex: number,
    readonly errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    readonly detail: string,
  ) {
    super(
      "anchor-reverted",
      `batch ${batchIndex}: the anchor reverted with ${errorName ? `${errorName}(${errorArgs.map(String).join(", ")})` : detail}; ` +
        `the run stopped and nothing more was sent`,
    );
  }
}

/** A stored run does not fit what is being asked of it (other input, other anchor, other policy). */
export class RunMismatchError extends ZklaError {
  constructor(message: string, hint?: string) {
    super("run-mismatch", message, hint);
  }
}

/** A locally generated proof did not verify: it is never stored or sent. */
export class ProofRejectedError extends ZklaError {
  constructor(message: string) {
    super("proof-rejected", message, "the build outputs may be stale: rebuild the circuits (npm run build:circuits)");
  }
}
