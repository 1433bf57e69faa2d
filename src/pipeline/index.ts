/** The off-chain pipeline: input -> plan -> parallel proving -> ordered submission (docs/pipeline.md). */
export * from "./errors";
export * from "./types";
export * from "./events";
export {
  parseApplications,
  readApplications,
  assignSalts,
  randomFieldElement,
  formatFromPath,
  type ApplicationInput,
  type SaltedApplication,
  type InputFormat,
} from "./input";
export { planRun, expectedRootAt, finalRoot, expectedPolicySignals, expectedZkvmSignals } from "./plan";
export { RunStore, type RunManifest, type ManifestBatch, type BatchStatus } from "./store";
export { proveRun, defaultConcurrency, provingKeyId, type ProveOptions, type ProveSummary } from "./prove";
export { runPool, ProvingFailedError } from "./pool";
export { submitRun, attestCall, type SubmitOptions, type SubmitSummary } from "./submit";
export { withRetry, isTransient, DEFAULT_RETRY, type RetryOptions } from "./retry";
export { replacementFees, FeeCapError, FEE_BUMP_PER_MILLE, loadFees, storeFees, type StoredFees } from "./fees";
export { openRun, defaultRunId, checkRunTarget, type OpenRunOptions, type OpenedRun } from "./run";
export { openRunSession, type RunSession, type RunSessionOptions } from "./session";
export { writeFileAtomic, writeJsonAtomic } from "./atomic";
export { EthersAnchorClient, readAnchorView, readAnchorState, anchorContract, type AnchorView } from "./chain";
export { policyModel, anchorStateModel } from "./models";
export { readDeployment, resolveTarget, type TargetOptions } from "./target";
export { sampleApplicationsCsv, mulberry32 } from "./sample";
export { retryingProvider, type Eip1193 } from "./rpc";
