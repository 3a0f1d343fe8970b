// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, NODE_REGISTRY, INodeRegistry, OnlyCommittee} from "./System.sol";

/// @title OrgRegistry (system contract at 0x0000000000000000000000000000000000001001)
/// @notice The member organizations, each with a name and the fingerprint of its CA certificate, and the
/// fingerprints of revoked certificates. An organization's id is a short ASCII string, left-aligned in a bytes32
/// (as ethers' `encodeBytes32String` writes it). Every change is made by the Committee when a proposal passes.
contract OrgRegistry {
    /// One organization. `exists` and `listIndex` share the first slot.
    struct Org {
        bool exists;
        uint16 listIndex;
        bytes32 caFingerprint;
        string name;
    }

    uint256 public constant ORGS_MAX = 256;
    uint256 public constant NAME_BYTES_MAX = 64;

    /// slot 0: every organization by id.
    mapping(bytes32 => Org) internal _orgs;
    /// slot 1: the ids of all organizations, in no particular order.
    bytes32[] internal _orgIds;
    /// slot 2: certificate fingerprint (SHA-256 of the DER certificate) → revoked.
    mapping(bytes32 => bool) public revoked;

    event OrgAdded(bytes32 indexed id, string name, bytes32 caFingerprint);
    event OrgRemoved(bytes32 indexed id);
    event OrgCAChanged(bytes32 indexed id, bytes32 from, bytes32 to);
    event CertificateRevoked(bytes32 indexed fingerprint);
    event CertificateRestored(bytes32 indexed fingerprint);

    error InvalidOrgId();
    error InvalidName(uint256 length, uint256 max);
    error OrgExists(bytes32 id);
    error UnknownOrg(bytes32 id);
    error TooManyOrgs(uint256 max);
    /// Remove (or move) the organization's nodes first.
    error OrgHasNodes(bytes32 id, uint256 nodes);
    error InvalidFingerprint();
    error LengthMismatch();

    modifier onlyCommittee() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    /// The genesis organizations; `caFingerprints[i]` may be zero (no CA recorded).
    constructor(bytes32[] memory ids, string[] memory names, bytes32[] memory caFingerprints) {
        if (ids.length != names.length || ids.length != caFingerprints.length) revert LengthMismatch();
        for (uint256 i = 0; i < ids.length; i++) {
            _addOrg(ids[i], names[i], caFingerprints[i]);
        }
    }

    // ---------------------------------------------------------------- changes (Committee only)

    function addOrg(bytes32 id, string calldata name, bytes32 caFingerprint) external onlyCommittee {
        _addOrg(id, name, caFingerprint);
    }

    function removeOrg(bytes32 id) external onlyCommittee {
        Org storage org = _existing(id);
        uint256 nodes = INodeRegistry(NODE_REGISTRY).nodeCountOf(id);
        if (nodes != 0) revert OrgHasNodes(id, nodes);
        uint256 index = org.listIndex;
        bytes32 moved = _orgIds[_orgIds.length - 1];
        _orgIds[index] = moved;
        _orgs[moved].listIndex = uint16(index);
        _orgIds.pop();
        delete _orgs[id];
        emit OrgRemoved(id);
    }

    /// Records a new CA certificate for the organization (zero: none).
    function setOrgCA(bytes32 id, bytes32 caFingerprint) external onlyCommittee {
        Org storage org = _existing(id);
        bytes32 from = org.caFingerprint;
        if (from == caFingerprint) return;
        org.caFingerprint = caFingerprint;
        emit OrgCAChanged(id, from, caFingerprint);
    }

    function revokeCertificate(bytes32 fingerprint) external onlyCommittee {
        if (fingerprint == bytes32(0)) revert InvalidFingerprint();
        if (revoked[fingerprint]) return;
        revoked[fingerprint] = true;
        emit CertificateRevoked(fingerprint);
    }

    function restoreCertificate(bytes32 fingerprint) external onlyCommittee {
        if (!revoked[fingerprint]) return;
        revoked[fingerprint] = false;
        emit CertificateRestored(fingerprint);
    }

    // ---------------------------------------------------------------- reads

    function isOrg(bytes32 id) external view returns (bool) {
        return _orgs[id].exists;
    }

    function getOrg(bytes32 id) external view returns (bool exists, string memory name, bytes32 caFingerprint) {
        Org storage org = _orgs[id];
        return (org.exists, org.name, org.caFingerprint);
    }

    function orgCount() external view returns (uint256) {
        return _orgIds.length;
    }

    /// Every organization's id (at most `ORGS_MAX`).
    function getOrgIds() external view returns (bytes32[] memory) {
        return _orgIds;
    }

    // ---------------------------------------------------------------- internals

    function _existing(bytes32 id) internal view returns (Org storage org) {
        org = _orgs[id];
        if (!org.exists) revert UnknownOrg(id);
    }

    function _addOrg(bytes32 id, string memory name, bytes32 caFingerprint) internal {
        if (id == bytes32(0)) revert InvalidOrgId();
        uint256 length = bytes(name).length;
        if (length == 0 || length > NAME_BYTES_MAX) revert InvalidName(length, NAME_BYTES_MAX);
        if (_orgs[id].exists) revert OrgExists(id);
        if (_orgIds.length >= ORGS_MAX) revert TooManyOrgs(ORGS_MAX);
        Org storage org = _orgs[id];
        org.exists = true;
        org.listIndex = uint16(_orgIds.length);
        org.caFingerprint = caFingerprint;
        org.name = name;
        _orgIds.push(id);
        emit OrgAdded(id, name, caFingerprint);
    }
}
