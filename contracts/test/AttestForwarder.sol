// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title AttestForwarder
/// @notice Test-only: a contract that calls the anchor on behalf of its caller (as a multisig or relayer would),
///         so `attest` calldata is not the transaction's input. The audit must find it with a call tracer.
contract AttestForwarder {
    /// @notice Calls `target` with `data` and bubbles up a revert.
    function forward(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
