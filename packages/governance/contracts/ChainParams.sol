// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, OnlyCommittee} from "./System.sol";

/// @title ChainParams (system contract at 0x0000000000000000000000000000000000001005)
/// @notice Chain parameters the Committee can change: the block interval and block gas limit (from the genesis),
/// and caps on every node's transaction pool (zero: not set, each node's configuration applies; when set, a node
/// uses the smaller of its configuration and the cap). Each has bounds that keep the chain able to govern itself:
/// a block must always have room for a vote.
contract ChainParams {
    enum Param {
        BlockIntervalMs,
        BlockGasLimit,
        PoolTxCountMax,
        PoolPerSenderMax
    }

    uint256 public constant PARAM_COUNT = 4;

    /// slots 0-3: the value of parameter `i` (`Param`) at slot i.
    uint256[4] internal _values;

    event ParamChanged(Param indexed param, uint256 from, uint256 to);

    /// `value` is outside `min..max` (zero is also accepted for the pool caps: not set).
    error ParamOutOfRange(Param param, uint256 value, uint256 min, uint256 max);

    modifier onlyCommittee() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    constructor(uint256 blockIntervalMs, uint256 blockGasLimit) {
        _set(Param.BlockIntervalMs, blockIntervalMs);
        _set(Param.BlockGasLimit, blockGasLimit);
    }

    function setParam(Param param, uint256 value) external onlyCommittee {
        _set(param, value);
    }

    function valueOf(Param param) external view returns (uint256) {
        return _values[uint256(param)];
    }

    function getValues() external view returns (uint256[4] memory) {
        return _values;
    }

    /// The accepted range of `param`, and whether zero (not set) is accepted too.
    function bounds(Param param) public pure returns (uint256 min, uint256 max, bool unsettable) {
        if (param == Param.BlockIntervalMs) return (50, 60_000, false);
        // A million gas always fits a committee vote, so a low limit cannot lock governance out.
        if (param == Param.BlockGasLimit) return (1_000_000, type(uint64).max, false);
        if (param == Param.PoolTxCountMax) return (1_000, 10_000_000, true);
        return (16, 100_000, true);
    }

    function _set(Param param, uint256 value) internal {
        (uint256 min, uint256 max, bool unsettable) = bounds(param);
        if (!(unsettable && value == 0) && (value < min || value > max)) {
            revert ParamOutOfRange(param, value, min, max);
        }
        uint256 from = _values[uint256(param)];
        if (from == value) return;
        _values[uint256(param)] = value;
        emit ParamChanged(param, from, value);
    }
}
