// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, OnlyCommittee, isSystemAddress} from "./System.sol";

/// @title Permissions (system contract at 0x0000000000000000000000000000000000001003)
/// @notice Who may deploy contracts and who may send transactions (each policy Open, Allowlist or Denylist, with
/// its own allowlist and denylist, so switching modes never reinterprets a list), and per-contract method
/// allowlists kept by each contract's admin. The Committee sets the policies and names contract admins; a
/// contract's admin (or the Committee) hands the role on; only the admin restricts methods and edits their
/// allowlists. The node enforces all of it in block validation (docs/spec/governance.md section 6).
contract Permissions {
    enum Mode {
        Open,
        Allowlist,
        Denylist
    }

    enum Policy {
        Deploy,
        Transact
    }

    enum List {
        DeployAllow,
        DeployDeny,
        TransactAllow,
        TransactDeny
    }

    /// An enumerable set of addresses: `position` is the index in `items` plus one, zero when absent.
    struct AddressSet {
        address[] items;
        mapping(address => uint256) position;
    }

    uint256 public constant LIST_MAX = 4_096;
    uint256 public constant BATCH_MAX = 64;

    /// slot 0: the deploy mode (byte 0) and the transact mode (byte 1).
    Mode public deployMode;
    Mode public transactMode;
    /// slots 1-8: list `i` (`List`) has its items at slot 1 + 2i and its position mapping at slot 2 + 2i.
    AddressSet[4] internal _lists;
    /// slot 9: contract → its admin, who keeps its method allowlists.
    mapping(address => address) public contractAdmin;
    /// slot 10: contract → selector → whether the method is restricted to its allowlist.
    mapping(address => mapping(bytes4 => bool)) internal _restricted;
    /// slot 11: contract → selector → account → allowed.
    mapping(address => mapping(bytes4 => mapping(address => bool))) internal _methodAllowed;

    event ModeChanged(Policy indexed policy, Mode from, Mode to);
    event ListChanged(List indexed list, address indexed account, bool listed);
    event ContractAdminChanged(address indexed target, address indexed from, address indexed to);
    event MethodRestrictionChanged(address indexed target, bytes4 indexed selector, bool restricted);
    event MethodAllowlistChanged(
        address indexed target, bytes4 indexed selector, address indexed account, bool allowed
    );

    error ZeroAddress();
    error BatchTooLarge(uint256 length, uint256 max);
    error ListFull(List list, uint256 max);
    error NotAContract(address target);
    /// System contracts have no admin and no method restrictions: a member must always be able to vote.
    error SystemContract(address target);
    error NotContractAdmin(address target, address caller);

    modifier onlyCommittee() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    modifier onlyAdmin(address target) {
        if (msg.sender != contractAdmin[target] || msg.sender == address(0)) {
            revert NotContractAdmin(target, msg.sender);
        }
        _;
    }

    constructor(
        Mode deployMode_,
        address[] memory deployAllowlist,
        address[] memory deployDenylist,
        Mode transactMode_,
        address[] memory transactAllowlist,
        address[] memory transactDenylist
    ) {
        deployMode = deployMode_;
        transactMode = transactMode_;
        _setListed(List.DeployAllow, deployAllowlist, true);
        _setListed(List.DeployDeny, deployDenylist, true);
        _setListed(List.TransactAllow, transactAllowlist, true);
        _setListed(List.TransactDeny, transactDenylist, true);
    }

    // ---------------------------------------------------------------- policies (Committee only)

    function setMode(Policy policy, Mode mode) external onlyCommittee {
        Mode from = policy == Policy.Deploy ? deployMode : transactMode;
        if (from == mode) return;
        if (policy == Policy.Deploy) deployMode = mode;
        else transactMode = mode;
        emit ModeChanged(policy, from, mode);
    }

    /// Adds `accounts` to `list` (`listed`) or takes them off; accounts already in that state are skipped.
    function setListed(List list, address[] calldata accounts, bool listed) external onlyCommittee {
        if (accounts.length > BATCH_MAX) revert BatchTooLarge(accounts.length, BATCH_MAX);
        _setListed(list, accounts, listed);
    }

    // ---------------------------------------------------------------- contract admins and method allowlists

    /// Names `target`'s admin (zero: none). The Committee may do it for any contract; the current admin may hand
    /// the role on.
    function setContractAdmin(address target, address admin) external {
        address from = contractAdmin[target];
        if (msg.sender != COMMITTEE && (msg.sender != from || from == address(0))) {
            revert NotContractAdmin(target, msg.sender);
        }
        if (isSystemAddress(target)) revert SystemContract(target);
        if (target.code.length == 0) revert NotAContract(target);
        if (from == admin) return;
        contractAdmin[target] = admin;
        emit ContractAdminChanged(target, from, admin);
    }

    /// Restricts `target`'s method `selector` to its allowlist (or lifts the restriction). Data shorter than four
    /// bytes calls selector 0x00000000 (its first bytes, zero-padded).
    function setMethodRestricted(address target, bytes4 selector, bool restricted) external onlyAdmin(target) {
        if (_restricted[target][selector] == restricted) return;
        _restricted[target][selector] = restricted;
        emit MethodRestrictionChanged(target, selector, restricted);
    }

    function setMethodAllowlist(address target, bytes4 selector, address[] calldata accounts, bool allowed)
        external
        onlyAdmin(target)
    {
        if (accounts.length > BATCH_MAX) revert BatchTooLarge(accounts.length, BATCH_MAX);
        for (uint256 i = 0; i < accounts.length; i++) {
            address account = accounts[i];
            if (_methodAllowed[target][selector][account] == allowed) continue;
            _methodAllowed[target][selector][account] = allowed;
            emit MethodAllowlistChanged(target, selector, account, allowed);
        }
    }

    // ---------------------------------------------------------------- reads

    function isListed(List list, address account) external view returns (bool) {
        return _lists[uint256(list)].position[account] != 0;
    }

    function listLength(List list) external view returns (uint256) {
        return _lists[uint256(list)].items.length;
    }

    /// Up to `limit` entries of `list` from `offset` (at most `BATCH_MAX * 4` at a time).
    function getList(List list, uint256 offset, uint256 limit) external view returns (address[] memory accounts) {
        address[] storage items = _lists[uint256(list)].items;
        if (offset >= items.length) return new address[](0);
        uint256 end = offset + _min(limit, BATCH_MAX * 4);
        if (end > items.length) end = items.length;
        accounts = new address[](end - offset);
        for (uint256 i = offset; i < end; i++) {
            accounts[i - offset] = items[i];
        }
    }

    /// Whether the deploy policy lets `account` create contracts.
    function mayDeploy(address account) external view returns (bool) {
        return _allowed(deployMode, List.DeployAllow, List.DeployDeny, account);
    }

    /// Whether the transact policy lets `account` send transactions (calls to the Committee are always allowed).
    function mayTransact(address account) external view returns (bool) {
        return _allowed(transactMode, List.TransactAllow, List.TransactDeny, account);
    }

    function isMethodRestricted(address target, bytes4 selector) external view returns (bool) {
        return _restricted[target][selector];
    }

    function isMethodAllowed(address target, bytes4 selector, address account) external view returns (bool) {
        return _methodAllowed[target][selector][account];
    }

    /// Whether `account` may call `target`'s method `selector` as a transaction's top-level call.
    function mayCall(address account, address target, bytes4 selector) external view returns (bool) {
        return !_restricted[target][selector] || _methodAllowed[target][selector][account];
    }

    // ---------------------------------------------------------------- internals

    function _allowed(Mode mode, List allow, List deny, address account) internal view returns (bool) {
        if (mode == Mode.Allowlist) return _lists[uint256(allow)].position[account] != 0;
        if (mode == Mode.Denylist) return _lists[uint256(deny)].position[account] == 0;
        return true;
    }

    /// Bounded by the caller: `BATCH_MAX` accounts for `setListed`, `LIST_MAX` for the genesis lists.
    function _setListed(List list, address[] memory accounts, bool listed) internal {
        AddressSet storage set = _lists[uint256(list)];
        for (uint256 i = 0; i < accounts.length; i++) {
            address account = accounts[i];
            if (account == address(0)) revert ZeroAddress();
            uint256 position = set.position[account];
            if (listed == (position != 0)) continue;
            if (listed) {
                if (set.items.length >= LIST_MAX) revert ListFull(list, LIST_MAX);
                set.items.push(account);
                set.position[account] = set.items.length;
            } else {
                address moved = set.items[set.items.length - 1];
                set.items[position - 1] = moved;
                set.position[moved] = position;
                set.items.pop();
                delete set.position[account];
            }
            emit ListChanged(list, account, listed);
        }
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
