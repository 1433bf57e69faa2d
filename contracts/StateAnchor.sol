// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IStateAnchor} from "./interfaces/IStateAnchor.sol";

/// @title StateAnchor
/// @notice See {IStateAnchor}. Verifiers are called through a generic `staticcall` whose selector is computed
///         from the public-signal count, so one anchor source serves every build profile.
contract StateAnchor is IStateAnchor, AccessControlDefaultAdminRules, Pausable {
    bytes32 public constant SUBMITTER_ROLE = keccak256("SUBMITTER_ROLE");
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice BN254 scalar field order: every public signal must be below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice zkVM public signals: methodId, tapeDigest, K = 4 params, journalLen, J = 2 journal words.
    uint256 public constant ZKVM_PUBLIC_SIGNALS = 9;
    /// @notice The loan guest's journal length (decisionBits, activeCount).
    uint256 public constant ZKVM_JOURNAL_LEN = 2;
    /// @notice Words in a snarkjs PLONK proof.
    uint256 public constant POLICY_PROOF_WORDS = 24;
    /// @notice Largest batch size: decisionBits is one 256-bit word.
    uint256 public constant MAX_BATCH_SIZE = 256;
    /// @notice Largest policy delay: block.timestamp + delay must fit the uint40 activation/retirement times.
    uint64 public constant MAX_POLICY_DELAY = type(uint32).max;

    bytes32 private constant DOMAIN_TAG = "zkla.domain.v1";
    bytes32 private constant GENESIS_TAG = "zkla.genesis.v1";
    bytes32 private constant STATE_TAG = "zkla.state.v1";

    /// @dev One storage word, written once per batch: nonce and decision count, plus rarely-written registry data.
    struct Counters {
        uint64 nonce;
        uint64 decisionCount;
        uint64 policyCount;
        uint64 policyDelay;
    }

    address private immutable _zkvmVerifier;
    bytes4 private immutable _zkvmSelector;
    uint256 private immutable _cachedChainId;
    uint256 private immutable _cachedDomain;

    uint256 private _stateRoot;
    Counters private _counters;
    mapping(uint256 policyId => Policy) private _policies;
    mapping(uint64 batchNonce => bytes32) private _decisionsRoots;

    /// @param zkvmVerifier_ Groth16 verifier of the zkVM (9 public signals).
    /// @param initialAdmin Holder of DEFAULT_ADMIN_ROLE (changes are two-step, after `adminDelay`).
    /// @param adminDelay Delay of default-admin transfers (OpenZeppelin AccessControlDefaultAdminRules).
    /// @param policyDelay_ Delay before scheduled policies/retirements take effect (0 allowed).
    constructor(
        address zkvmVerifier_,
        address initialAdmin,
        uint48 adminDelay,
        uint64 policyDelay_
    ) AccessControlDefaultAdminRules(adminDelay, initialAdmin) {
        if (zkvmVerifier_.code.length == 0) revert VerifierHasNoCode(zkvmVerifier_);
        _zkvmVerifier = zkvmVerifier_;
        _zkvmSelector = bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[9])"));
        _cachedChainId = block.chainid;
        uint256 domain_ = _computeDomain();
        _cachedDomain = domain_;
        _stateRoot = uint256(keccak256(abi.encode(GENESIS_TAG, domain_))) % SNARK_SCALAR_FIELD;
        if (policyDelay_ > MAX_POLICY_DELAY) revert PolicyDelayTooLong(policyDelay_, MAX_POLICY_DELAY);
        _counters.policyDelay = policyDelay_;
        emit PolicyDelayChanged(0, policyDelay_);
    }

    // ------------------------------------------------------------------ attest

    /// @inheritdoc IStateAnchor
    function attest(
        uint256 policyId,
        uint64 expectedNonce,
        Batch calldata batch,
        uint256[24] calldata policyProof,
        uint256[8] calldata zkvmProof
    ) external whenNotPaused onlyRole(SUBMITTER_ROLE) returns (uint256 newRoot) {
        Policy storage p = _policies[policyId];
        (uint64 batchNonce, uint256 prevRoot) = _checkBatch(policyId, p, expectedNonce, batch);
        _verifyProofs(policyId, p, batchNonce, prevRoot, batch, policyProof, zkvmProof);
        newRoot = _record(policyId, batchNonce, prevRoot, p.methodId, batch);
    }

    // ------------------------------------------------------------------ registry

    /// @inheritdoc IStateAnchor
    function schedulePolicy(
        address verifier,
        bytes32 vkeyHash,
        uint16 batchSize,
        uint256 methodId,
        uint256 threshold
    ) external onlyRole(POLICY_ADMIN_ROLE) returns (uint256 policyId) {
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        if (batchSize == 0 || batchSize > MAX_BATCH_SIZE) revert InvalidBatchSize(batchSize);
        if (methodId >= SNARK_SCALAR_FIELD) revert MethodIdNotInField(methodId);
        if (threshold >= SNARK_SCALAR_FIELD) revert ThresholdNotInField(threshold);
        Counters memory c = _counters;
        policyId = uint256(c.policyCount) + 1;
        _counters.policyCount = uint64(policyId);
        uint40 activeFrom = uint40(block.timestamp + c.policyDelay);
        bytes4 selector = bytes4(
            keccak256(
                abi.encodePacked("verifyProof(uint256[24],uint256[", Strings.toString(uint256(batchSize) + 4), "])")
            )
        );
        _policies[policyId] = Policy({
            verifier: verifier,
            batchSize: batchSize,
            activeFrom: activeFrom,
            retiredFrom: 0,
            verifierSelector: selector,
            vkeyHash: vkeyHash,
            methodId: methodId,
            threshold: threshold
        });
        emit PolicyScheduled(policyId, verifier, vkeyHash, batchSize, methodId, threshold, activeFrom);
    }

    /// @inheritdoc IStateAnchor
    function scheduleRetirement(uint256 policyId) external onlyRole(POLICY_ADMIN_ROLE) returns (uint40 retiredFrom) {
        Policy storage p = _policies[policyId];
        if (p.verifier == address(0)) revert UnknownPolicy(policyId);
        if (p.retiredFrom != 0) revert PolicyAlreadyRetiring(policyId, p.retiredFrom);
        retiredFrom = uint40(block.timestamp + _counters.policyDelay);
        p.retiredFrom = retiredFrom;
        emit PolicyRetirementScheduled(policyId, retiredFrom);
    }

    /// @inheritdoc IStateAnchor
    function setPolicyDelay(uint64 newDelay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newDelay > MAX_POLICY_DELAY) revert PolicyDelayTooLong(newDelay, MAX_POLICY_DELAY);
        uint64 previous = _counters.policyDelay;
        _counters.policyDelay = newDelay;
        emit PolicyDelayChanged(previous, newDelay);
    }

    /// @inheritdoc IStateAnchor
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IStateAnchor
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStateAnchor
    function zkvmVerifier() external view returns (address) {
        return _zkvmVerifier;
    }

    /// @inheritdoc IStateAnchor
    function domain() public view returns (uint256) {
        // Recomputed after a chain split so proofs for the original chain id stop verifying here.
        return block.chainid == _cachedChainId ? _cachedDomain : _computeDomain();
    }

    /// @inheritdoc IStateAnchor
    function stateRoot() external view returns (uint256) {
        return _stateRoot;
    }

    /// @inheritdoc IStateAnchor
    function nonce() external view returns (uint64) {
        return _counters.nonce;
    }

    /// @inheritdoc IStateAnchor
    function decisionCount() external view returns (uint64) {
        return _counters.decisionCount;
    }

    /// @inheritdoc IStateAnchor
    function decisionsRoot(uint64 batchNonce) external view returns (bytes32) {
        return _decisionsRoots[batchNonce];
    }

    /// @inheritdoc IStateAnchor
    function policyCount() external view returns (uint256) {
        return _counters.policyCount;
    }

    /// @inheritdoc IStateAnchor
    function policy(uint256 policyId) external view returns (Policy memory) {
        Policy memory p = _policies[policyId];
        if (p.verifier == address(0)) revert UnknownPolicy(policyId);
        return p;
    }

    /// @inheritdoc IStateAnchor
    function policyStatus(uint256 policyId) external view returns (PolicyStatus) {
        return _status(_policies[policyId]);
    }

    /// @inheritdoc IStateAnchor
    function policyDelay() external view returns (uint64) {
        return _counters.policyDelay;
    }

    /// @inheritdoc IStateAnchor
    function verifyDecision(
        uint256 policyId,
        uint64 batchNonce,
        uint256 slot,
        uint256 commitment,
        bool approved,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _decisionsRoots[batchNonce];
        if (root == bytes32(0) || proof.length > 8 || slot >> proof.length != 0) return false;
        bytes32 node = keccak256(abi.encode(commitment, approved, policyId, batchNonce, slot));
        for (uint256 i = 0; i < proof.length; ++i) {
            node = (slot >> i) & 1 == 1 ? keccak256(abi.encode(proof[i], node)) : keccak256(abi.encode(node, proof[i]));
        }
        return node == root;
    }

    // ------------------------------------------------------------------ internals

    function _computeDomain() private view returns (uint256) {
        return uint256(keccak256(abi.encode(DOMAIN_TAG, block.chainid, address(this)))) % SNARK_SCALAR_FIELD;
    }

    function _status(Policy storage p) private view returns (PolicyStatus) {
        if (p.verifier == address(0)) return PolicyStatus.Unknown;
        if (p.retiredFrom != 0 && block.timestamp >= p.retiredFrom) return PolicyStatus.Retired;
        if (block.timestamp < p.activeFrom) return PolicyStatus.Scheduled;
        return PolicyStatus.Active;
    }

    /// @dev Every check that needs no proof: policy active, nonce, batch size, field range, activeCount.
    function _checkBatch(
        uint256 policyId,
        Policy storage p,
        uint64 expectedNonce,
        Batch calldata batch
    ) private view returns (uint64 batchNonce, uint256 prevRoot) {
        PolicyStatus status = _status(p);
        if (status != PolicyStatus.Active) revert PolicyNotActive(policyId, status);
        batchNonce = _counters.nonce;
        if (expectedNonce != batchNonce) revert NonceMismatch(batchNonce, expectedNonce);
        uint256 n = p.batchSize;
        if (batch.commitments.length != n) revert BatchSizeMismatch(policyId, n, batch.commitments.length);
        _checkInField(batch);
        if (batch.activeCount > n) revert ActiveCountExceedsBatchSize(batch.activeCount, n);
        prevRoot = _stateRoot;
    }

    /// @dev Both verifications with signals built here; the same batch values go to both verifiers.
    function _verifyProofs(
        uint256 policyId,
        Policy storage p,
        uint64 batchNonce,
        uint256 prevRoot,
        Batch calldata batch,
        uint256[24] calldata policyProof,
        uint256[8] calldata zkvmProof
    ) private view {
        uint256 threshold = p.threshold;
        if (!_staticVerify(p.verifier, _policyCalldata(p.verifierSelector, batch, policyProof, threshold))) {
            revert PolicyProofRejected(policyId);
        }
        uint256 methodId = p.methodId;
        bytes memory zkvmCall = _zkvmCalldata(methodId, batch, prevRoot, batchNonce, threshold, zkvmProof);
        if (!_staticVerify(_zkvmVerifier, zkvmCall)) revert ZkvmProofRejected(methodId);
    }

    /// @dev Index = position in the policy public-signal order. The PLONK verifier does not check inputs < r.
    function _checkInField(Batch calldata batch) private pure {
        if (batch.tapeDigest >= SNARK_SCALAR_FIELD) revert PublicInputNotInField(0, batch.tapeDigest);
        if (batch.decisionBits >= SNARK_SCALAR_FIELD) revert PublicInputNotInField(1, batch.decisionBits);
        if (batch.activeCount >= SNARK_SCALAR_FIELD) revert PublicInputNotInField(2, batch.activeCount);
        uint256[] calldata cs = batch.commitments;
        for (uint256 i = 0; i < cs.length; ++i) {
            if (cs[i] >= SNARK_SCALAR_FIELD) revert PublicInputNotInField(3 + i, cs[i]);
        }
    }

    /// @dev selector ++ proof[24] ++ [tapeDigest, decisionBits, activeCount, commitments[0..N-1], threshold]
    function _policyCalldata(
        bytes4 selector,
        Batch calldata batch,
        uint256[24] calldata proof,
        uint256 threshold
    ) private pure returns (bytes memory data) {
        uint256 n = batch.commitments.length;
        data = new bytes(4 + 32 * (POLICY_PROOF_WORDS + n + 4));
        uint256[] calldata cs = batch.commitments;
        assembly ("memory-safe") {
            let p := add(data, 32)
            mstore(p, and(selector, shl(224, 0xffffffff))) // clean: short types may carry dirty bits
            calldatacopy(add(p, 4), proof, 768)
            let s := add(p, 772)
            mstore(s, calldataload(batch))
            mstore(add(s, 32), calldataload(add(batch, 32)))
            mstore(add(s, 64), calldataload(add(batch, 64)))
            calldatacopy(add(s, 96), cs.offset, mul(n, 32))
            mstore(add(s, add(96, mul(n, 32))), threshold)
        }
    }

    /// @dev selector ++ proof[8] ++ [methodId, tapeDigest, domain, prevRoot, nonce, threshold, 2, decisionBits, activeCount]
    function _zkvmCalldata(
        uint256 methodId,
        Batch calldata batch,
        uint256 prevRoot,
        uint64 batchNonce,
        uint256 threshold,
        uint256[8] calldata proof
    ) private view returns (bytes memory) {
        return
            abi.encodePacked(
                _zkvmSelector,
                proof,
                [
                    methodId,
                    batch.tapeDigest,
                    domain(),
                    prevRoot,
                    uint256(batchNonce),
                    threshold,
                    ZKVM_JOURNAL_LEN,
                    batch.decisionBits,
                    batch.activeCount
                ]
            );
    }

    /// @dev A failed call, return data shorter than one word, or a word other than 1 is a rejection.
    function _staticVerify(address verifier, bytes memory data) private view returns (bool ok) {
        assembly ("memory-safe") {
            let success := staticcall(gas(), verifier, add(data, 32), mload(data), 0, 32)
            ok := and(success, and(gt(returndatasize(), 31), eq(mload(0), 1)))
        }
    }

    /// @dev keccak Merkle root over leaf(slot) = keccak256(abi.encode(commitment, approved, policyId, nonce, slot)),
    ///      padded with zero leaves to a power of two; node = keccak256(left ++ right).
    function _merkleRoot(
        uint256 policyId,
        uint64 batchNonce,
        uint256 decisionBits,
        uint256[] calldata commitments
    ) internal pure returns (bytes32 root) {
        uint256 n = commitments.length;
        uint256 width = 1;
        while (width < n) width <<= 1;
        assembly ("memory-safe") {
            let nodes := mload(0x40)
            let buf := add(nodes, mul(width, 32))
            // Leaves: buf holds the 5-word leaf preimage; only commitment, approved and slot change.
            mstore(add(buf, 64), policyId)
            mstore(add(buf, 96), and(batchNonce, 0xffffffffffffffff))
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                mstore(buf, calldataload(add(commitments.offset, mul(i, 32))))
                mstore(add(buf, 32), and(shr(i, decisionBits), 1))
                mstore(add(buf, 128), i)
                mstore(add(nodes, mul(i, 32)), keccak256(buf, 160))
            }
            for {
                let i := n
            } lt(i, width) {
                i := add(i, 1)
            } {
                mstore(add(nodes, mul(i, 32)), 0)
            }
            // In place: node j of the next level overwrites slot j, already consumed.
            for {
                let w := width
            } gt(w, 1) {
                w := shr(1, w)
            } {
                let half := shr(1, w)
                for {
                    let j := 0
                } lt(j, half) {
                    j := add(j, 1)
                } {
                    mstore(add(nodes, mul(j, 32)), keccak256(add(nodes, mul(j, 64)), 64))
                }
            }
            root := mload(nodes)
        }
    }

    function _nextRoot(
        uint256 prevRoot,
        uint64 batchNonce,
        uint256 policyId,
        uint256 methodId,
        bytes32 dRoot,
        Batch calldata batch
    ) private pure returns (uint256) {
        bytes32 h = keccak256(
            abi.encode(
                STATE_TAG,
                prevRoot,
                batchNonce,
                policyId,
                methodId,
                dRoot,
                batch.tapeDigest,
                batch.decisionBits,
                batch.activeCount
            )
        );
        return uint256(h) % SNARK_SCALAR_FIELD;
    }

    /// @dev State update and events; runs only after both proofs verified.
    function _record(
        uint256 policyId,
        uint64 batchNonce,
        uint256 prevRoot,
        uint256 methodId,
        Batch calldata batch
    ) internal returns (uint256 newRoot) {
        bytes32 dRoot = _merkleRoot(policyId, batchNonce, batch.decisionBits, batch.commitments);
        newRoot = _nextRoot(prevRoot, batchNonce, policyId, methodId, dRoot, batch);
        _stateRoot = newRoot;
        _decisionsRoots[batchNonce] = dRoot;
        Counters storage c = _counters;
        c.nonce = batchNonce + 1;
        c.decisionCount += uint64(batch.activeCount);
        emit BatchAttested(
            batchNonce,
            policyId,
            msg.sender,
            prevRoot,
            newRoot,
            methodId,
            batch.tapeDigest,
            batch.decisionBits,
            batch.activeCount,
            dRoot
        );
        emit DecisionsAttested(batchNonce, batch.decisionBits, batch.commitments);
    }
}
