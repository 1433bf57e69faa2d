/**
 * The StateAnchor ABI as human-readable fragments, so src/ does not depend on build artifacts.
 * test/anchor checks it against the compiled artifact (every function, event and error).
 */
export const STATE_ANCHOR_ABI = [
  // actions
  "function attest(uint256 policyId, uint64 expectedNonce, (uint256 tapeDigest, uint256 decisionBits, uint256 activeCount, uint256[] commitments) batch, uint256[24] policyProof, uint256[8] zkvmProof) returns (uint256 newRoot)",
  "function schedulePolicy(address verifier, bytes32 vkeyHash, uint16 batchSize, uint256 methodId, uint256 threshold) returns (uint256 policyId)",
  "function scheduleRetirement(uint256 policyId) returns (uint40 retiredFrom)",
  "function setPolicyDelay(uint64 newDelay)",
  "function pause()",
  "function unpause()",
  // views
  "function zkvmVerifier() view returns (address)",
  "function domain() view returns (uint256)",
  "function stateRoot() view returns (uint256)",
  "function nonce() view returns (uint64)",
  "function decisionCount() view returns (uint64)",
  "function decisionsRoot(uint64 batchNonce) view returns (bytes32)",
  "function policyCount() view returns (uint256)",
  "function policy(uint256 policyId) view returns ((address verifier, uint16 batchSize, uint40 activeFrom, uint40 retiredFrom, bytes4 verifierSelector, bytes32 vkeyHash, uint256 methodId, uint256 threshold))",
  "function policyStatus(uint256 policyId) view returns (uint8)",
  "function policyDelay() view returns (uint64)",
  "function paused() view returns (bool)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function SUBMITTER_ROLE() view returns (bytes32)",
  "function POLICY_ADMIN_ROLE() view returns (bytes32)",
  "function PAUSER_ROLE() view returns (bytes32)",
  "function DEFAULT_ADMIN_ROLE() view returns (bytes32)",
  "function defaultAdmin() view returns (address)",
  "function verifyDecision(uint256 policyId, uint64 batchNonce, uint256 slot, uint256 commitment, bool approved, bytes32[] proof) view returns (bool)",
  // events
  "event BatchAttested(uint64 indexed nonce, uint256 indexed policyId, address indexed submitter, uint256 prevRoot, uint256 newRoot, uint256 methodId, uint256 tapeDigest, uint256 decisionBits, uint256 activeCount, bytes32 decisionsRoot)",
  "event DecisionsAttested(uint64 indexed nonce, uint256 decisionBits, uint256[] commitments)",
  "event PolicyScheduled(uint256 indexed policyId, address indexed verifier, bytes32 vkeyHash, uint16 batchSize, uint256 methodId, uint256 threshold, uint40 activeFrom)",
  "event PolicyRetirementScheduled(uint256 indexed policyId, uint40 retiredFrom)",
  "event PolicyDelayChanged(uint64 previousDelay, uint64 newDelay)",
  // events of OpenZeppelin AccessControlDefaultAdminRules / Pausable (the audit's governance timeline)
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
  "event DefaultAdminTransferScheduled(address indexed newAdmin, uint48 acceptSchedule)",
  "event DefaultAdminTransferCanceled()",
  "event DefaultAdminDelayChangeScheduled(uint48 newDelay, uint48 effectSchedule)",
  "event DefaultAdminDelayChangeCanceled()",
  "event Paused(address account)",
  "event Unpaused(address account)",
  // errors of IStateAnchor
  "error NonceMismatch(uint64 anchorNonce, uint64 submittedNonce)",
  "error PolicyNotActive(uint256 policyId, uint8 status)",
  "error UnknownPolicy(uint256 policyId)",
  "error BatchSizeMismatch(uint256 policyId, uint256 batchSize, uint256 commitmentCount)",
  "error PublicInputNotInField(uint256 index, uint256 value)",
  "error ActiveCountExceedsBatchSize(uint256 activeCount, uint256 batchSize)",
  "error PolicyProofRejected(uint256 policyId)",
  "error ZkvmProofRejected(uint256 methodId)",
  "error VerifierHasNoCode(address verifier)",
  "error InvalidBatchSize(uint256 batchSize)",
  "error MethodIdNotInField(uint256 methodId)",
  "error ThresholdNotInField(uint256 threshold)",
  "error PolicyAlreadyRetiring(uint256 policyId, uint40 retiredFrom)",
  "error PolicyDelayTooLong(uint64 delay, uint64 maxDelay)",
  // errors of OpenZeppelin AccessControl / Pausable the anchor can raise
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error EnforcedPause()",
  "error ExpectedPause()",
] as const;

/** Policy lifecycle, as the contract's PolicyStatus enum. */
export const POLICY_STATUS = ["Unknown", "Scheduled", "Active", "Retired"] as const;
export type PolicyStatusName = (typeof POLICY_STATUS)[number];
