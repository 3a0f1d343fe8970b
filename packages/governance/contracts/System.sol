// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

// Charter's system contracts live at fixed addresses in the reserved range 0x…1000 to 0x…10ff
// (docs/spec/governance.md). The node builds the genesis state by running each constructor in a scratch state and
// placing the resulting code and storage at these addresses, so no contract uses `address(this)` in its constructor
// or an immutable, and every contract refers to the others by these constants.

address constant NODE_REGISTRY = 0x0000000000000000000000000000000000001000;
address constant ORG_REGISTRY = 0x0000000000000000000000000000000000001001;
address constant COMMITTEE = 0x0000000000000000000000000000000000001002;
address constant PERMISSIONS = 0x0000000000000000000000000000000000001003;
address constant ACCOUNT_STATUS = 0x0000000000000000000000000000000000001004;
address constant CHAIN_PARAMS = 0x0000000000000000000000000000000000001005;

uint160 constant SYSTEM_ADDRESS_FIRST = 0x1000;
uint160 constant SYSTEM_ADDRESS_LAST = 0x10ff;

/// Whether `account` is in the range reserved for system contracts.
function isSystemAddress(address account) pure returns (bool) {
    uint160 value = uint160(account);
    return value >= SYSTEM_ADDRESS_FIRST && value <= SYSTEM_ADDRESS_LAST;
}

/// Thrown by a registry function that only the Committee may call (it calls them when a proposal passes).
error OnlyCommittee(address caller);

/// What the registries ask of each other.
interface INodeRegistry {
    function nodeCountOf(bytes32 org) external view returns (uint256);
}

interface IOrgRegistry {
    function isOrg(bytes32 id) external view returns (bool);
}
