/**
 * The one documented entry point for scripts (docs/api.md). A lender's script deploys with
 * `deployAnchor(hre, …)`, then calls attest / plan / prove / submit, status, audit and inclusion; everything
 * here is the code the CLI tasks run. Lower layers (src/anchor, src/pipeline, src/audit, src/policy,
 * src/zkvm) stay importable for tools that need more.
 */
export { attest, plan, prove, submit, status, planOptions, submitOptions } from "./api";
export type {
  ApplicationRow,
  AttestRequest,
  AttestResult,
  PlanRequest,
  PlanResult,
  ProveRequest,
  ProveResult,
  RunRequest,
  StatusReport,
  SubmitRequest,
  SubmitResult,
} from "./api";
export { auditAnchor as audit, auditToJson, renderAuditMarkdown, renderAuditText } from "./audit";
export type { AuditOptions, AuditReport, Check, CheckName, CheckStatus } from "./audit";
export { checkInclusion as inclusion, readReceipt, receiptQuery } from "./audit/inclusion";
export type { InclusionQuery, InclusionResult } from "./audit/inclusion";
export { deployAnchor, type DeployOptions, type DeploymentManifest } from "./anchor/deploy";
export { readDeployment } from "./pipeline/run/target";
export type { PipelineEvent } from "./pipeline/events";
export { ZklaError, UsageError } from "./errors";
/** Ends snarkjs's worker threads: call it when a script is done proving or verifying, or it never exits. */
export { terminateCurves } from "./snark";
