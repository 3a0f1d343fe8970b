// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, ORG_REGISTRY, IOrgRegistry, OnlyCommittee} from "./System.sol";

/// @title NodeRegistry (system contract at 0x0000000000000000000000000000000000001000)
/// @notice The nodes of the network, each with its organization, role (validator or observer), weight and public
/// key. The validators among them form `validators`, the first state variable, whose storage the node reads as the
/// validator set (docs/spec/consensus.md section 9): a change made in block h is in force from height h + 2.
/// Every change is made by the Committee when a proposal passes.
contract NodeRegistry {
    /// The layout consensus reads. Do not reorder, resize or move: `validators` must stay at slot 0.
    struct Validator {
        address account;
        uint96 weight;
        bytes32 publicKeyX;
        bytes32 publicKeyY;
    }

    enum Role {
        None,
        Observer,
        Validator
    }

    /// One node. The first slot packs role, weight and the two list positions (see `docs/spec/governance.md`).
    struct Node {
        Role role;
        uint96 weight;
        uint16 listIndex;
        uint16 validatorIndex;
        bytes32 org;
        bytes32 publicKeyX;
        bytes32 publicKeyY;
    }

    /// A node as the constructor (the genesis) and `addNode` take it.
    struct NodeInit {
        address account;
        bytes32 org;
        Role role;
        uint96 weight;
        bytes32 publicKeyX;
        bytes32 publicKeyY;
    }

    /// Nodes of any role, at most; also bounds the validator set (consensus allows 256 validators).
    uint256 public constant NODES_MAX = 256;
    /// Largest weight of one node, and largest total weight of the validators (consensus allows 2^20).
    uint256 public constant WEIGHT_TOTAL_MAX = 1 << 20;

    /// slot 0: the validator set, in the layout the node reads. MUST stay the first state variable.
    Validator[] public validators;
    /// slot 1: every node by address; `role` is `None` for an address that is not a node.
    mapping(address => Node) internal _nodes;
    /// slot 2: the addresses of all nodes, in no particular order.
    address[] internal _nodeList;
    /// slot 3: how many nodes each organization has (an organization with nodes cannot be removed).
    mapping(bytes32 => uint256) public nodeCountOf;
    /// slot 4: the sum of the validators' weights.
    uint256 public validatorWeightTotal;
    /// slot 5: whether a node's address must be the last 20 bytes of keccak256(x ‖ y) (the `ecdsa` suite). With
    /// the `sm` suite addresses are SM3-based, which the EVM cannot compute; the chain checks them (rule 8).
    bool public keccakAddresses;

    event NodeAdded(address indexed account, bytes32 indexed org, Role role, uint96 weight);
    event NodeRemoved(address indexed account, bytes32 indexed org);
    event NodeRoleChanged(address indexed account, Role from, Role to);
    event NodeWeightChanged(address indexed account, uint96 from, uint96 to);
    /// Emitted whenever `validators` changes: its new size and total weight.
    event ValidatorSetChanged(uint256 count, uint256 weightTotal);

    error ZeroAddress();
    error NodeExists(address account);
    error UnknownNode(address account);
    error UnknownOrg(bytes32 org);
    error InvalidRole(Role role);
    error InvalidWeight(uint256 weight, uint256 max);
    error InvalidPublicKey(address account);
    error PublicKeyMismatch(address account, address keyAddress);
    error TooManyNodes(uint256 max);
    error ValidatorWeightTotalExceeded(uint256 total, uint256 max);
    /// The change would leave no validator: the chain cannot run without one.
    error LastValidator(address account);
    error NoValidators();

    modifier onlyCommittee() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    /// The genesis nodes. The OrgRegistry is already in place (the genesis creates it first), so organizations are
    /// checked here as they are later.
    constructor(NodeInit[] memory nodes, bool keccakAddresses_) {
        keccakAddresses = keccakAddresses_;
        for (uint256 i = 0; i < nodes.length; i++) {
            _addNode(nodes[i]);
        }
        if (validators.length == 0) revert NoValidators();
        emit ValidatorSetChanged(validators.length, validatorWeightTotal);
    }

    // ---------------------------------------------------------------- changes (Committee only)

    function addNode(NodeInit calldata node) external onlyCommittee {
        _addNode(node);
        if (node.role == Role.Validator) emit ValidatorSetChanged(validators.length, validatorWeightTotal);
    }

    function removeNode(address account) external onlyCommittee {
        Node storage node = _existing(account);
        bytes32 org = node.org;
        bool wasValidator = node.role == Role.Validator;
        if (wasValidator) _leaveValidators(account, node);
        uint256 index = node.listIndex;
        address moved = _nodeList[_nodeList.length - 1];
        _nodeList[index] = moved;
        _nodes[moved].listIndex = uint16(index);
        _nodeList.pop();
        nodeCountOf[org] -= 1;
        delete _nodes[account];
        emit NodeRemoved(account, org);
        if (wasValidator) emit ValidatorSetChanged(validators.length, validatorWeightTotal);
    }

    function setNodeRole(address account, Role role) external onlyCommittee {
        Node storage node = _existing(account);
        if (role == Role.None) revert InvalidRole(role);
        Role from = node.role;
        if (from == role) return;
        if (role == Role.Validator) _joinValidators(account, node);
        else _leaveValidators(account, node);
        node.role = role;
        emit NodeRoleChanged(account, from, role);
        emit ValidatorSetChanged(validators.length, validatorWeightTotal);
    }

    function setNodeWeight(address account, uint96 weight) external onlyCommittee {
        Node storage node = _existing(account);
        _checkWeight(weight);
        uint96 from = node.weight;
        if (from == weight) return;
        node.weight = weight;
        if (node.role == Role.Validator) {
            uint256 total = validatorWeightTotal - from + weight;
            if (total > WEIGHT_TOTAL_MAX) revert ValidatorWeightTotalExceeded(total, WEIGHT_TOTAL_MAX);
            validatorWeightTotal = total;
            validators[node.validatorIndex].weight = weight;
        }
        emit NodeWeightChanged(account, from, weight);
        if (node.role == Role.Validator) emit ValidatorSetChanged(validators.length, validatorWeightTotal);
    }

    // ---------------------------------------------------------------- reads

    function isNode(address account) external view returns (bool) {
        return _nodes[account].role != Role.None;
    }

    /// The node at `account`; `role` is `None` when there is none.
    function getNode(address account)
        external
        view
        returns (Role role, bytes32 org, uint96 weight, bytes32 publicKeyX, bytes32 publicKeyY)
    {
        Node storage node = _nodes[account];
        return (node.role, node.org, node.weight, node.publicKeyX, node.publicKeyY);
    }

    function nodeCount() external view returns (uint256) {
        return _nodeList.length;
    }

    /// Every node's address (at most `NODES_MAX`).
    function getNodes() external view returns (address[] memory) {
        return _nodeList;
    }

    function validatorCount() external view returns (uint256) {
        return validators.length;
    }

    /// The validators' addresses in set order (the interface Besu's validator contracts expose).
    function getValidators() external view returns (address[] memory accounts) {
        accounts = new address[](validators.length);
        for (uint256 i = 0; i < accounts.length; i++) {
            accounts[i] = validators[i].account;
        }
    }

    // ---------------------------------------------------------------- internals

    function _existing(address account) internal view returns (Node storage node) {
        node = _nodes[account];
        if (node.role == Role.None) revert UnknownNode(account);
    }

    function _checkWeight(uint256 weight) internal pure {
        if (weight == 0 || weight > WEIGHT_TOTAL_MAX) revert InvalidWeight(weight, WEIGHT_TOTAL_MAX);
    }

    function _addNode(NodeInit memory init) internal {
        if (init.account == address(0)) revert ZeroAddress();
        if (_nodes[init.account].role != Role.None) revert NodeExists(init.account);
        if (init.role == Role.None) revert InvalidRole(init.role);
        _checkWeight(init.weight);
        if (!IOrgRegistry(ORG_REGISTRY).isOrg(init.org)) revert UnknownOrg(init.org);
        if (init.publicKeyX == bytes32(0) || init.publicKeyY == bytes32(0)) revert InvalidPublicKey(init.account);
        if (keccakAddresses) {
            address keyAddress = address(uint160(uint256(keccak256(abi.encodePacked(init.publicKeyX, init.publicKeyY)))));
            if (keyAddress != init.account) revert PublicKeyMismatch(init.account, keyAddress);
        }
        if (_nodeList.length >= NODES_MAX) revert TooManyNodes(NODES_MAX);
        Node storage node = _nodes[init.account];
        node.role = init.role;
        node.weight = init.weight;
        node.listIndex = uint16(_nodeList.length);
        node.org = init.org;
        node.publicKeyX = init.publicKeyX;
        node.publicKeyY = init.publicKeyY;
        _nodeList.push(init.account);
        nodeCountOf[init.org] += 1;
        if (init.role == Role.Validator) _joinValidators(init.account, node);
        emit NodeAdded(init.account, init.org, init.role, init.weight);
    }

    function _joinValidators(address account, Node storage node) internal {
        uint256 total = validatorWeightTotal + node.weight;
        if (total > WEIGHT_TOTAL_MAX) revert ValidatorWeightTotalExceeded(total, WEIGHT_TOTAL_MAX);
        validatorWeightTotal = total;
        node.validatorIndex = uint16(validators.length);
        validators.push(Validator(account, node.weight, node.publicKeyX, node.publicKeyY));
    }

    /// Removes `account` from `validators` by moving the last member into its place, so the set's order changes
    /// only for that member (every node applies the same change, so every node agrees on the order).
    function _leaveValidators(address account, Node storage node) internal {
        if (validators.length == 1) revert LastValidator(account);
        uint256 index = node.validatorIndex;
        Validator memory last = validators[validators.length - 1];
        validators[index] = last;
        _nodes[last.account].validatorIndex = uint16(index);
        validators.pop();
        node.validatorIndex = 0;
        validatorWeightTotal -= node.weight;
    }
}
