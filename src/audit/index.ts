/**
 * The audit of an anchor's chain of trust (docs/audit.md): auditAnchor runs every named check and
 * returns a report; src/audit/report.ts renders it; checkInclusion lets a borrower check one decision.
 */
export { auditAnchor, DEFAULT_MIN_POLICY_DELAY, LOCAL_CHAIN_IDS } from "./audit";
export type { AuditOptions, AuditPolicy, AuditProgress, AuditReport, AuditedBatch } from "./audit";
export { CHECK_NAMES, verdictOf, type Check, type CheckName, type CheckStatus } from "./checks";
export { governanceTimeline, roleName, type TimelineEntry } from "./governance";
export { repoGuests, type RepoGuest } from "./guests";
export { auditKeySets, loadKeySetsForAudit, keyCircuitCheck, type AuditKeySet } from "./keys";
export { auditToJson, renderAuditMarkdown, renderAuditText, utc } from "./report";
export {
  auditEvents,
  type AnchorSnapshot,
  type AttestedEvent,
  type AuditBatch,
  type RootChainReport,
} from "./root-chain";
export { trustFlags, type TrustFlagOptions } from "./flags";
