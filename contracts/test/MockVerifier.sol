// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title MockVerifier
/// @notice Test double for the snarkjs verifiers. Answers any selector from its fallback (the anchor calls it
///         with `staticcall`, so it cannot record; it validates instead): with an expected input hash set, it
///         accepts only that exact calldata (selector ++ proof words ++ public signals).
contract MockVerifier {
    enum Mode {
        Accept, // returns one word = 1 when the input matches (or no input is expected), else 0
        Reject, // returns one word = 0
        Revert, // reverts
        ShortReturn, // returns 16 bytes
        ReturnTwo // returns one word = 2 (not a valid bool)
    }

    /// @notice Raised in Mode.Revert (the anchor must turn any verifier failure into its own error).
    error MockVerifierReverted();

    Mode public mode;
    /// @notice keccak256 of the exact calldata to accept; 0 accepts any input.
    bytes32 public expectedInputHash;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function expectInput(bytes32 inputHash) external {
        expectedInputHash = inputHash;
    }

    fallback(bytes calldata input) external returns (bytes memory) {
        Mode m = mode;
        if (m == Mode.Revert) revert MockVerifierReverted();
        if (m == Mode.ShortReturn) return new bytes(16);
        if (m == Mode.ReturnTwo) return abi.encode(uint256(2));
        if (m == Mode.Reject) return abi.encode(false);
        bytes32 expected = expectedInputHash;
        return abi.encode(expected == bytes32(0) || keccak256(input) == expected);
    }
}
