// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// A stand-in for a governance contract at Charter's validator registry (0x0000000000000000000000000000000000001000),
/// used by the chain's tests: `validators` is the first state variable, so its storage has exactly the layout the
/// node reads (consensus.md section 9). Anyone may change the set; it has no access control and is for tests only.
contract TestValidatorRegistry {
    struct Validator {
        address account;
        uint96 weight;
        bytes32 publicKeyX;
        bytes32 publicKeyY;
    }

    Validator[] public validators;

    function add(address account, uint96 weight, bytes32 publicKeyX, bytes32 publicKeyY) external {
        validators.push(Validator(account, weight, publicKeyX, publicKeyY));
    }

    /// Moves the last member into `index` and shortens the list (the popped slots are zeroed).
    function remove(uint256 index) external {
        validators[index] = validators[validators.length - 1];
        validators.pop();
    }

    function setWeight(uint256 index, uint96 weight) external {
        validators[index].weight = weight;
    }

    function count() external view returns (uint256) {
        return validators.length;
    }
}
