/** The off-chain pipeline: input -> plan -> parallel proving -> ordered submission (docs/pipeline.md). */
export * from "./errors";
export * from "./types";
export * from "./events";
export {
  parseApplications,
  readApplications,
  assignSalts,
  withSalt,
  randomFieldElement,
  formatFromPath,
  MIN_GIVEN_SALT,
  type ApplicationInput,
  type SaltedApplication,
  type InputFormat,
} from "./run/input";
export { planRun, expectedRootAt, finalRoot, expectedPolicySignals, expectedZkvmSignals } from "./run/plan";
export { RunStore, PlanWriter, type RunManifest, type ManifestBatch, type BatchStatus } from "./run/store";
export { Ledger, AlreadyOnAnchorError, type LedgerEntry, type KnownRow } from "./run/ledger";
export { proveAndSubmit, ProofFeed, type StreamSummary } from "./stream";
export { proveRun, defaultConcurrency, provingKeyId, type ProveOptions, type ProveSummary } from "./proving/prove";
export { runPool, ProvingFailedError } from "./proving/pool";
export { submitRun, attestCall, type SubmitOptions, type SubmitSummary } from "./submission/submit";
export { withRetry, isTransient, DEFAULT_RETRY, type RetryOptions } from "./util";
export {
  replacementFees,
  FeeCapError,
  FEE_BUMP_PER_MILLE,
  loadFees,
  storeFees,
  type StoredFees,
} from "./submission/fees";
export {
  openRun,
  defaultRunId,
  checkRunTarget,
  checkSameLimit,
  checkMaxBatches,
  planReadyEvent,
  type OpenRunOptions,
  type OpenedRun,
} from "./run/open";
export { openRunSession, type RunSession, type RunSessionOptions } from "./run/session";
export { writeFileAtomic, writeJsonAtomic } from "../files";
export { EthersAnchorClient } from "./submission/chain";
export { readAnchorView, readAnchorState, anchorContract, type AnchorView } from "../anchor/contract";
export { policyModel, anchorStateModel } from "./run/models";
export { readDeployment, resolveTarget, type TargetOptions } from "./run/target";
export { sampleApplicationsCsv, mulberry32 } from "./run/sample";
export { retryingProvider, type Eip1193 } from "./util";
