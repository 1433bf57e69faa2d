/** Errors the pipeline raises; each says what was wrong and what to do. */

/** One rejected input row. `row` is 1-based among data rows; `line` is the file line (CSV only). */
export interface RowIssue {
  row: number;
  line?: number;
  field?: string;
  reason: string;
}

/** The input file has bad rows: nothing was processed. Carries every issue, not just the first. */
export class ApplicationsInvalidError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly RowIssue[],
  ) {
    super(
      `${file}: ${issues.length} invalid row(s); nothing was proven or sent. Fix them and run again:\n` +
        issues.map((i) => "  " + formatIssue(i)).join("\n"),
    );
    this.name = "ApplicationsInvalidError";
  }
}

export function formatIssue(issue: RowIssue): string {
  const where =
    issue.row === 0 ? "header" : `row ${issue.row}${issue.line !== undefined ? ` (line ${issue.line})` : ""}`;
  return `${where}${issue.field ? ` ${issue.field}` : ""}: ${issue.reason}`;
}

/** The anchor's on-chain state is not on the path this run planned; resubmitting could not help. */
export class ChainDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChainDivergedError";
  }
}

/** The anchor rejected a batch (a permanent revert, decoded when the ABI knows the error). */
export class AnchorRevertError extends Error {
  constructor(
    readonly batchIndex: number,
    readonly errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    readonly detail: string,
  ) {
    super(
      `batch ${batchIndex}: the anchor reverted with ${errorName ? `${errorName}(${errorArgs.map(String).join(", ")})` : detail}; ` +
        `the run stopped and nothing more was sent`,
    );
    this.name = "AnchorRevertError";
  }
}

/** A stored run does not fit what is being asked of it (other input, other anchor, other policy). */
export class RunMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunMismatchError";
  }
}

/** A locally generated proof did not verify: it is never stored or sent. */
export class ProofRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofRejectedError";
  }
}
