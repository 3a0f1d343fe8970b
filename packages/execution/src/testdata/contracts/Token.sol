// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A plain OpenZeppelin ERC-20: the whole supply goes to the deployer. Its failed transfers revert with
/// OpenZeppelin's custom error `ERC20InsufficientBalance(address,uint256,uint256)`.
contract Token is ERC20 {
    constructor(uint256 supply) ERC20("Charter Test Token", "CTT") {
        _mint(msg.sender, supply);
    }
}
