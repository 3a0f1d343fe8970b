// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title SMCrypto
/// @notice China's national algorithms for contracts on a Charter chain on the `sm` suite, through its
/// precompiles (docs/spec/crypto.md). The EVM's `keccak256` stays Keccak-256; call these where SM3 or SM2 is
/// required. On a chain without the precompiles (the `ecdsa` suite) `sm3` reverts and `sm2Verify` returns false.
library SMCrypto {
    /// The SM3 precompile: input any bytes, output their 32-byte SM3 digest.
    address internal constant SM3 = 0x0000000000000000000000000000000000005303;
    /// The SM2 verification precompile: input `message ‖ r ‖ s ‖ x ‖ y` (5 × 32 bytes), output the word 1 for a
    /// valid signature (GB/T 32918, default user id "1234567812345678") and nothing otherwise.
    address internal constant SM2_VERIFY = 0x0000000000000000000000000000000000005302;

    error SM3Unavailable();

    /// SM3 (GB/T 32905) of `data`.
    function sm3(bytes memory data) internal view returns (bytes32 digest) {
        (bool ok, bytes memory out) = SM3.staticcall(data);
        if (!ok || out.length != 32) revert SM3Unavailable();
        digest = bytes32(out);
    }

    /// Whether `signature` (64 bytes `r ‖ s`) is a genuine SM2 signature over the 32-byte `message` by
    /// `publicKey` (64 bytes `x ‖ y`). The message is what was signed: SM2 hashes it with the signer's Z_A.
    function sm2Verify(bytes32 message, bytes memory signature, bytes memory publicKey)
        internal
        view
        returns (bool)
    {
        if (signature.length != 64 || publicKey.length != 64) return false;
        (bool ok, bytes memory out) = SM2_VERIFY.staticcall(abi.encodePacked(message, signature, publicKey));
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }
}
