// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IStateAnchor
/// @notice Anchors batches of loan decisions in order. Each batch carries a PLONK policy proof and a Groth16
///         zkVM proof; the anchor builds both public-signal arrays itself (see docs/architecture.md for the
///         orders) and feeds the same tapeDigest, decisionBits and activeCount to both verifiers, which binds
///         the two proofs together. Accepted batches advance a nonce and a field-element state root.
/// @dev Public-signal orders, N = policy batch size:
///      policy: [tapeDigest, decisionBits, activeCount, commitments[0..N-1], threshold]
///      zkVM:   [methodId, tapeDigest, domain, prevStateRoot, nonce, threshold, 2, decisionBits, activeCount]
///      Hashes (mirrored exactly in src/anchor/):
///      Tags are bytes32 string literals (left-aligned ASCII, zero-padded), e.g. bytes32("zkla.domain.v1").
///      domain      = uint256(keccak256(abi.encode(bytes32("zkla.domain.v1"), block.chainid, address(this)))) % r
///      genesisRoot = uint256(keccak256(abi.encode(bytes32("zkla.genesis.v1"), domain))) % r
///      leaf(slot)  = keccak256(abi.encode(commitment, approved, policyId, nonce, slot)); padding leaves are 0
///      node        = keccak256(abi.encode(left, right)); decisionsRoot = root over the leaves padded to 2^k
///      newRoot     = uint256(keccak256(abi.encode(bytes32("zkla.state.v1"), prevRoot, nonce, policyId, methodId,
///                    decisionsRoot, tapeDigest, decisionBits, activeCount))) % r
interface IStateAnchor {
    /// @notice Batch data submitted with `attest`: the values both proofs expose as public signals.
    /// @param tapeDigest Sponge digest of the batch tape (both proofs).
    /// @param decisionBits Bit i = 1 iff slot i is active and approved (both proofs).
    /// @param activeCount Number of active slots (both proofs).
    /// @param commitments Per-slot Poseidon commitments, 0 for inactive slots (policy proof); length = batch size.
    struct Batch {
        uint256 tapeDigest;
        uint256 decisionBits;
        uint256 activeCount;
        uint256[] commitments;
    }

    /// @notice A registered policy. Verifier, vkey hash, batch size, method ID and threshold never change in place.
    /// @param verifier snarkjs PLONK verifier of the policy circuit for this batch size.
    /// @param batchSize N: number of slots (and commitments) per batch.
    /// @param activeFrom Timestamp from which `attest` accepts the policy (scheduling delay).
    /// @param retiredFrom Timestamp from which the policy is retired; 0 while no retirement is scheduled.
    /// @param vkeyHash keccak256 of the policy verification key (for auditors; not used on-chain).
    /// @param methodId Method ID of the guest program the zkVM proof must have run.
    /// @param threshold Public policy threshold (approve iff score <= threshold).
    struct Policy {
        address verifier;
        uint16 batchSize;
        uint40 activeFrom;
        uint40 retiredFrom;
        bytes4 verifierSelector;
        bytes32 vkeyHash;
        uint256 methodId;
        uint256 threshold;
    }

    /// @notice Lifecycle of a policy as seen at the current block timestamp.
    enum PolicyStatus {
        Unknown,
        Scheduled,
        Active,
        Retired
    }

    // ------------------------------------------------------------------ events

    /// @notice A batch was attested: both proofs verified against these values and the state advanced.
    /// @param nonce Nonce of the batch (the anchor's nonce before the call).
    /// @param policyId Policy the batch was proven under.
    /// @param submitter Account that sent the batch.
    /// @param prevRoot State root the zkVM proof was bound to.
    /// @param newRoot State root after the batch.
    /// @param methodId Guest method ID the zkVM proof ran.
    /// @param tapeDigest Batch tape digest (both proofs).
    /// @param decisionBits Proven decision bits.
    /// @param activeCount Proven number of active slots.
    /// @param decisionsRoot keccak Merkle root over the batch's decisions (stored per nonce).
    event BatchAttested(
        uint64 indexed nonce,
        uint256 indexed policyId,
        address indexed submitter,
        uint256 prevRoot,
        uint256 newRoot,
        uint256 methodId,
        uint256 tapeDigest,
        uint256 decisionBits,
        uint256 activeCount,
        bytes32 decisionsRoot
    );

    /// @notice The per-decision data of batch `nonce`, compact: slot i has commitment `commitments[i]` and is
    ///         approved iff bit i of `decisionBits` is 1. Inactive slots have commitment 0.
    event DecisionsAttested(uint64 indexed nonce, uint256 decisionBits, uint256[] commitments);

    /// @notice A policy was registered; `attest` accepts it from `activeFrom` on (no further transaction needed).
    event PolicyScheduled(
        uint256 indexed policyId,
        address indexed verifier,
        bytes32 vkeyHash,
        uint16 batchSize,
        uint256 methodId,
        uint256 threshold,
        uint40 activeFrom
    );

    /// @notice Retirement of `policyId` was scheduled; `attest` rejects it from `retiredFrom` on.
    event PolicyRetirementScheduled(uint256 indexed policyId, uint40 retiredFrom);

    /// @notice The delay applied to future policy schedules/retirements changed.
    event PolicyDelayChanged(uint64 previousDelay, uint64 newDelay);

    // ------------------------------------------------------------------ errors

    /// @notice `attest` was called with `submittedNonce` but the anchor expects `anchorNonce` (stale, replayed or
    ///         out-of-order batch). Read `nonce()` and submit batches in order.
    error NonceMismatch(uint64 anchorNonce, uint64 submittedNonce);

    /// @notice `policyId` is not active now (`status`: 0 unknown, 1 scheduled, 3 retired).
    error PolicyNotActive(uint256 policyId, PolicyStatus status);

    /// @notice No policy with this id was ever scheduled.
    error UnknownPolicy(uint256 policyId);

    /// @notice The batch has `commitmentCount` commitments but the policy's batch size is `batchSize`.
    error BatchSizeMismatch(uint256 policyId, uint256 batchSize, uint256 commitmentCount);

    /// @notice Public signal `index` (policy signal order) is >= r; values are never reduced: fix the batch data.
    error PublicInputNotInField(uint256 index, uint256 value);

    /// @notice The batch claims `activeCount` active slots but the policy's batch size is `batchSize`.
    error ActiveCountExceedsBatchSize(uint256 activeCount, uint256 batchSize);

    /// @notice The policy verifier rejected the proof (false, failed call or short return data).
    error PolicyProofRejected(uint256 policyId);

    /// @notice The zkVM verifier rejected the proof for guest `methodId` with the anchor's signals.
    error ZkvmProofRejected(uint256 methodId);

    /// @notice A verifier address has no code.
    error VerifierHasNoCode(address verifier);

    /// @notice Batch size must be between 1 and 256 (decisionBits is one 256-bit word).
    error InvalidBatchSize(uint256 batchSize);

    /// @notice A policy's method ID must be a field element (< r).
    error MethodIdNotInField(uint256 methodId);

    /// @notice A policy's threshold must be a field element (< r).
    error ThresholdNotInField(uint256 threshold);

    /// @notice Retirement of `policyId` is already scheduled for `retiredFrom`.
    error PolicyAlreadyRetiring(uint256 policyId, uint40 retiredFrom);

    /// @notice A policy delay above `maxDelay` (2^32 - 1 s, about 136 years) would overflow the 40-bit activation
    ///         and retirement times (a wrapped time would make a policy active at once or cancel a retirement).
    error PolicyDelayTooLong(uint64 delay, uint64 maxDelay);

    // ------------------------------------------------------------------ actions

    /// @notice Verifies both proofs for the next batch and advances the state. Reverts (changing nothing) unless
    ///         not paused, caller has SUBMITTER_ROLE, the policy is active, `expectedNonce == nonce()`,
    ///         `batch.commitments.length` equals the policy's batch size, every batch value is < r and both
    ///         verifiers accept the signals built by the anchor.
    /// @param policyId Registered, active policy.
    /// @param expectedNonce The nonce the proofs were made for (must equal `nonce()`).
    /// @param batch Proven public values of the batch.
    /// @param policyProof snarkjs PLONK proof words.
    /// @param zkvmProof snarkjs Groth16 proof words: pA[2], pB[2][2] (as exported for Solidity), pC[2].
    /// @return newRoot The new state root.
    function attest(
        uint256 policyId,
        uint64 expectedNonce,
        Batch calldata batch,
        uint256[24] calldata policyProof,
        uint256[8] calldata zkvmProof
    ) external returns (uint256 newRoot);

    /// @notice Registers a policy, active after `policyDelay()`. Requires POLICY_ADMIN_ROLE.
    function schedulePolicy(
        address verifier,
        bytes32 vkeyHash,
        uint16 batchSize,
        uint256 methodId,
        uint256 threshold
    ) external returns (uint256 policyId);

    /// @notice Schedules retirement of `policyId` after `policyDelay()`. Requires POLICY_ADMIN_ROLE.
    function scheduleRetirement(uint256 policyId) external returns (uint40 retiredFrom);

    /// @notice Sets the delay for future policy schedules/retirements (0 allowed, at most 2^32 - 1 s).
    ///         Requires DEFAULT_ADMIN_ROLE.
    function setPolicyDelay(uint64 newDelay) external;

    /// @notice Stops `attest`. Requires PAUSER_ROLE.
    function pause() external;

    /// @notice Resumes `attest`. Requires PAUSER_ROLE.
    function unpause() external;

    // ------------------------------------------------------------------ views

    /// @notice Groth16 verifier shared by every guest program (one zkVM setup).
    function zkvmVerifier() external view returns (address);

    /// @notice This anchor's domain: a public parameter of every zkVM proof (binds chain id and address).
    function domain() external view returns (uint256);

    /// @notice The state root the next batch's zkVM proof must be bound to.
    function stateRoot() external view returns (uint256);

    /// @notice The nonce the next batch must carry (= number of attested batches).
    function nonce() external view returns (uint64);

    /// @notice Total active decisions attested (sum of activeCount).
    function decisionCount() external view returns (uint64);

    /// @notice Decisions Merkle root of batch `batchNonce` (0 if not attested).
    function decisionsRoot(uint64 batchNonce) external view returns (bytes32);

    /// @notice Number of policies ever scheduled (ids are 1..policyCount).
    function policyCount() external view returns (uint256);

    /// @notice The policy record (reverts UnknownPolicy for an unknown id).
    function policy(uint256 policyId) external view returns (Policy memory);

    /// @notice Status of `policyId` at the current timestamp.
    function policyStatus(uint256 policyId) external view returns (PolicyStatus);

    /// @notice Delay applied to policy schedules/retirements.
    function policyDelay() external view returns (uint64);

    /// @notice True iff decision (commitment, approved) sits at `slot` of batch `batchNonce` proven under
    ///         `policyId`: an O(log N) Merkle proof (siblings from the leaf up) against the stored decisions root.
    function verifyDecision(
        uint256 policyId,
        uint64 batchNonce,
        uint256 slot,
        uint256 commitment,
        bool approved,
        bytes32[] calldata proof
    ) external view returns (bool);
}
