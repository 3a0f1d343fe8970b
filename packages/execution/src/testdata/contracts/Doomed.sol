// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// A contract that can SELFDESTRUCT, to compare EIP-6780's two cases: destroyed in the transaction that created
/// it (the account is deleted) and destroyed later (only its balance moves).
contract Doomed {
    uint256 public marker;

    constructor() payable {
        marker = 42;
    }

    function kill(address payable beneficiary) external {
        selfdestruct(beneficiary);
    }
}

contract Factory {
    event Made(address at);

    function make(bytes32 salt) external payable returns (Doomed made) {
        made = new Doomed{salt: salt, value: msg.value}();
        emit Made(address(made));
    }

    function makeAndKill(bytes32 salt, address payable beneficiary) external payable returns (Doomed made) {
        made = new Doomed{salt: salt, value: msg.value}();
        made.kill(beneficiary);
    }
}
