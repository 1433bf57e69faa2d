// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StateAnchor} from "../StateAnchor.sol";

/// @title StateAnchorGasProbe
/// @notice Test-only: measures the state update of `attest` (decisions Merkle root, state root, storage,
///         events) with gasleft(), after warming the slots `attest` reads before it, as in a real attest.
///         Call with eth_call (staticCall): the returned figures are the measurement.
contract StateAnchorGasProbe is StateAnchor {
    constructor(address zkvmVerifier_) StateAnchor(zkvmVerifier_, msg.sender, 0, 0) {}

    function measureRecord(
        uint256 policyId,
        uint256 methodId,
        Batch calldata batch
    ) external returns (uint256 recordGas, uint256 merkleGas) {
        uint256 prevRoot = this.stateRoot(); // warms the slots attest has already read (access lists are per tx)
        uint64 batchNonce = this.nonce();
        uint256 g = gasleft();
        _merkleRoot(policyId, batchNonce, batch.decisionBits, batch.commitments);
        merkleGas = g - gasleft();
        g = gasleft();
        _record(policyId, batchNonce, prevRoot, methodId, batch);
        recordGas = g - gasleft();
    }
}
