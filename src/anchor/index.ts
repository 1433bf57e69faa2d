/**
 * The anchor layer in TypeScript: an exact mirror of StateAnchor's computations (domain, genesis root,
 * decision leaves and Merkle proofs, state-root steps, verifier calldata), attest-argument building,
 * custom-error decoding and the deployment logic. See docs/anchor.md.
 */
export { POLICY_STATUS, STATE_ANCHOR_ABI, type PolicyStatusName } from "./abi";
export {
  DOMAIN_TAG,
  GENESIS_TAG,
  MAX_BATCH_SIZE,
  POLICY_PROOF_WORDS,
  STATE_TAG,
  ZKVM_JOURNAL_LEN,
  ZKVM_PROOF_WORDS,
  ZKVM_PUBLIC_SIGNALS,
  anchorDomain,
  anchorPolicySignals,
  anchorZkvmParams,
  anchorZkvmSignals,
  assertFieldElements,
  decisionLeaf,
  decisionLeaves,
  decisionProof,
  decisionsRoot,
  genesisRoot,
  groth16Selector,
  isApproved,
  nextStateRoot,
  plonkSelector,
  verifierCalldata,
  verifyDecisionProof,
  type BatchValues,
  type DecisionRef,
  type StateStep,
  type ZkvmBinding,
} from "./state";
export { buildAttestArgs, type AttestArgs, type AttestInput } from "./calldata";
export { decodeAnchorError, type AnchorError } from "./errors";
export { stateAnchorAt, stateAnchorInterface, type StateAnchor } from "./contract";
export {
  DEPLOYMENT_FORMAT,
  deployAnchor,
  loanGuestMethodId,
  registryBatchSize,
  verifierContractName,
  type DeployOptions,
  type DeployedContract,
  type DeployedPolicy,
  type DeploymentManifest,
  type Logger,
  type RoleGrant,
} from "./deploy";
