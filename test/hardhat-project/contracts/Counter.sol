// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// A counter for the Hardhat end-to-end test: a state change, an event and a custom error.
contract Counter {
    uint256 public count;
    address public lastCaller;

    event Incremented(address indexed by, uint256 count);

    error StepTooLarge(uint256 step);

    constructor(uint256 start) {
        count = start;
    }

    function increment() external {
        incrementBy(1);
    }

    function incrementBy(uint256 step) public {
        if (step > 100) revert StepTooLarge(step);
        count += step;
        lastCaller = msg.sender;
        emit Incremented(msg.sender, count);
    }
}
