// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, OnlyCommittee, isSystemAddress} from "./System.sol";

/// @title AccountStatus (system contract at 0x0000000000000000000000000000000000001004)
/// @notice The status of accounts and contracts: Normal, Frozen or Abolished. A frozen or abolished account
/// cannot send transactions and a frozen or abolished contract cannot be called by one (the node enforces this in
/// block validation). Freezing is undone by unfreezing; abolishing is final. Every change is made by the
/// Committee when a proposal passes.
contract AccountStatus {
    enum Status {
        Normal,
        Frozen,
        Abolished
    }

    /// slot 0: account → status (Normal when never set).
    mapping(address => Status) public statusOf;

    event StatusChanged(address indexed account, Status from, Status to);

    error ZeroAddress();
    /// System contracts cannot be frozen: the Committee must stay callable, or nothing could be undone.
    error SystemAccount(address account);
    /// An abolished account stays abolished.
    error AccountAbolished(address account);

    modifier onlyCommittee() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    function freeze(address account) external onlyCommittee {
        _set(account, Status.Frozen);
    }

    function unfreeze(address account) external onlyCommittee {
        _set(account, Status.Normal);
    }

    function abolish(address account) external onlyCommittee {
        _set(account, Status.Abolished);
    }

    function isFrozen(address account) external view returns (bool) {
        return statusOf[account] == Status.Frozen;
    }

    /// Whether the account may send transactions and be called: its status is Normal.
    function isNormal(address account) external view returns (bool) {
        return statusOf[account] == Status.Normal;
    }

    function _set(address account, Status status) internal {
        if (account == address(0)) revert ZeroAddress();
        if (isSystemAddress(account)) revert SystemAccount(account);
        Status from = statusOf[account];
        if (from == Status.Abolished) revert AccountAbolished(account);
        if (from == status) return;
        statusOf[account] = status;
        emit StatusChanged(account, from, status);
    }
}
