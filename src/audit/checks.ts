/**
 * The audit's vocabulary: named checks, each pass / fail / warn with a reason and evidence (addresses,
 * hashes, transactions), so a report says what was checked, on what, and why it failed.
 */

export type CheckStatus = "pass" | "fail" | "warn";

/** Stable names of the audit's checks (docs/audit.md says what each proves and assumes). */
export const CHECK_NAMES = [
  "deployment-file",
  "verifier-key",
  "key-circuit",
  "method-guest",
  "policy-parameters",
  "proofs-reverified",
  "root-chain",
  "governance",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface Check {
  check: CheckName;
  /** What was checked: "zkVM verifier 0x…", "policy 2", "batch nonce 5", … */
  subject: string;
  status: CheckStatus;
  reason: string;
  /** Addresses, hashes, transactions backing the verdict (strings: big numbers in decimal). */
  evidence: Record<string, string>;
}

const check =
  (status: CheckStatus) =>
  (name: CheckName, subject: string, reason: string, evidence: Record<string, string> = {}): Check => ({
    check: name,
    subject,
    status,
    reason,
    evidence,
  });
export const pass = check("pass");
export const fail = check("fail");
export const warn = check("warn");

/** "fail" if any check failed, else "warn" if any warned, else "pass". */
export function verdictOf(checks: readonly Check[]): CheckStatus {
  if (checks.some((c) => c.status === "fail")) return "fail";
  if (checks.some((c) => c.status === "warn")) return "warn";
  return "pass";
}
