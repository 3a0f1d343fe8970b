// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Exercises the execution paths the differential tests compare: storage refunds (EIP-2200/3529), transient
/// storage and MCOPY (EIP-1153/5656), precompiles, reverts, logs and the block and transaction context.
contract Probe {
    error Unauthorized(address caller, uint256 code);

    event Stored(uint256 indexed slot, uint256 value);
    event Copied(bytes data);

    /// Writes `values` to `slot` in order, so that one transaction walks an EIP-2200 path (set, reset, clear...).
    function writeSequence(uint256 slot, uint256[] calldata values) external {
        for (uint256 i = 0; i < values.length; ++i) {
            uint256 value = values[i];
            assembly {
                sstore(slot, value)
            }
            emit Stored(slot, value);
        }
    }

    /// Sets `count` consecutive slots from `first` to `value`; a zero clears them (many refunds, capped at a fifth).
    function fill(uint256 first, uint256 count, uint256 value) external {
        for (uint256 i = 0; i < count; ++i) {
            assembly {
                sstore(add(first, i), value)
            }
        }
    }

    function read(uint256 slot) external view returns (uint256 value) {
        assembly {
            value := sload(slot)
        }
    }

    function check(uint256 x) external pure returns (uint256) {
        require(x < 10, "Probe: x must be below 10");
        return x;
    }

    function guarded(uint256 code) external view {
        if (code != 0) revert Unauthorized(msg.sender, code);
    }

    /// Hashes in a loop: enough rounds run out of gas.
    function spin(uint256 rounds) external pure returns (bytes32 acc) {
        for (uint256 i = 0; i < rounds; ++i) {
            acc = keccak256(abi.encode(acc, i));
        }
    }

    function transientRoundTrip(uint256 value) external returns (uint256 seen, bytes memory copied) {
        assembly {
            tstore(0, value)
        }
        seen = this.readTransient();
        bytes memory source = abi.encodePacked(value, seen, bytes5(0x0102030405));
        copied = new bytes(source.length);
        assembly {
            mcopy(add(copied, 32), add(source, 32), mload(source))
        }
        emit Copied(copied);
    }

    function readTransient() external view returns (uint256 value) {
        assembly {
            value := tload(0)
        }
    }

    /// Persists what transient slot 0 holds: zero in a fresh transaction, whatever was left over otherwise.
    function persistTransient(uint256 slot) external {
        assembly {
            sstore(slot, tload(0))
        }
    }

    function precompiles(bytes32 digest, uint8 v, bytes32 r, bytes32 s, bytes calldata data)
        external
        view
        returns (address signer, bytes32 sha, bytes memory echoed)
    {
        signer = ecrecover(digest, v, r, s);
        sha = sha256(data);
        (bool ok, bytes memory out) = address(4).staticcall(data);
        require(ok, "identity failed");
        echoed = out;
    }

    function blockContext() external view returns (uint256, uint256, address, uint256, uint256, uint256, uint256) {
        return (block.number, block.timestamp, block.coinbase, block.prevrandao, block.gaslimit, block.basefee, block.chainid);
    }

    function txContext()
        external
        view
        returns (uint256 gasPrice, address origin, bytes32 parentHash, uint256 blobBaseFee, uint256 gasLeft, uint256 balance)
    {
        return (tx.gasprice, tx.origin, blockhash(block.number - 1), block.blobbasefee, gasleft(), msg.sender.balance);
    }

    /// Calls `target` with no value, which touches it: EIP-161 removes it if it is empty.
    function poke(address target) external returns (bool ok) {
        (ok,) = target.call("");
    }

    receive() external payable {}
}
