// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {COMMITTEE, OnlyCommittee} from "./System.sol";

/// @title Committee (system contract at 0x0000000000000000000000000000000000001002)
/// @notice The governance committee: members with weights, a participation and an approval threshold in basis
/// points, and proposals. A member proposes a call (`target`, `data`); members vote; the vote that makes it pass
/// executes the call in the same transaction. With W the committee's total weight:
///  - passed when (yes + no) * 10^4 >= participationBps * W and yes * 10^4 >= approvalBps * W;
///  - rejected when no * 10^4 > (10^4 - approvalBps) * W (approval can no longer be reached);
///  - expired when block.number > deadline and it is neither;
///  - outdated when the committee (members, weights or thresholds) changed after it was proposed: every proposal
///    is counted against the committee it was proposed to, so a change of the committee closes the open ones.
/// The registries' mutating functions accept calls only from this contract; the Committee's own membership and
/// thresholds change through proposals whose target is the Committee.
contract Committee {
    enum Vote {
        None,
        Yes,
        No
    }

    /// Stored: Pending, Executed, Rejected. `stateOf` also reports Expired and Outdated, which are never stored.
    enum State {
        None,
        Pending,
        Executed,
        Rejected,
        Expired,
        Outdated
    }

    struct Member {
        uint96 weight;
        uint16 listIndex;
    }

    struct Proposal {
        address proposer;
        uint64 deadline;
        uint32 committeeVersion;
        address target;
        State state;
        uint96 yes;
        uint96 no;
        bytes data;
    }

    /// As many as organizations can exist, so each can have a member. Nothing loops over the members when
    /// proposing or voting (only the `getMembers` view).
    uint256 public constant MEMBERS_MAX = 256;
    uint256 public constant MEMBER_WEIGHT_MAX = 1_000_000;
    uint256 public constant BPS = 10_000;
    /// Longest voting period, in blocks (about 58 days at one block a second).
    uint256 public constant VOTING_BLOCKS_MAX = 5_000_000;
    uint256 public constant CALL_DATA_BYTES_MAX = 8_192;
    uint256 public constant DESCRIPTION_BYTES_MAX = 1_024;

    /// slot 0: every member by address (weight in bytes 0-11, list index in 12-13); weight 0 for a non-member.
    mapping(address => Member) internal _members;
    /// slot 1: the members' addresses, in no particular order.
    address[] internal _memberList;
    /// slot 2: the sum of the members' weights, the thresholds and the committee's version (packed).
    uint96 public totalWeight;
    uint16 public participationBps;
    uint16 public approvalBps;
    uint32 public version;
    /// slot 3: proposals are numbered from 1.
    uint256 public proposalCount;
    /// slot 4
    mapping(uint256 => Proposal) internal _proposals;
    /// slot 5: proposal id → member → vote.
    mapping(uint256 => mapping(address => Vote)) internal _votes;

    event ProposalCreated(
        uint256 indexed id,
        address indexed proposer,
        address indexed target,
        bytes data,
        string description,
        uint64 deadline
    );
    event Voted(uint256 indexed id, address indexed voter, bool approve, uint96 weight);
    event ProposalPassed(uint256 indexed id, uint96 yes, uint96 no);
    event ProposalExecuted(uint256 indexed id);
    event ProposalRejected(uint256 indexed id, uint96 yes, uint96 no);
    event MemberAdded(address indexed member, uint96 weight);
    event MemberRemoved(address indexed member);
    event MemberWeightChanged(address indexed member, uint96 from, uint96 to);
    event ThresholdsChanged(uint16 participationBps, uint16 approvalBps);

    error NotMember(address caller);
    error UnknownProposal(uint256 id);
    error ProposalExpired(uint256 id, uint64 deadline);
    error ProposalOutdated(uint256 id);
    error ProposalClosed(uint256 id, State state);
    error AlreadyVoted(uint256 id, address member);
    error InvalidVotingPeriod(uint256 votingBlocks, uint256 max);
    error TargetNotContract(address target);
    error CallDataTooLong(uint256 length, uint256 max);
    error DescriptionTooLong(uint256 length, uint256 max);
    /// The proposal passed but its call reverted with `reason`; the vote is reverted with it.
    error ExecutionFailed(uint256 id, bytes reason);
    error ZeroAddress();
    error MemberExists(address member);
    error UnknownMember(address member);
    error InvalidWeight(uint256 weight, uint256 max);
    error TooManyMembers(uint256 max);
    error LastMember(address member);
    /// participationBps must be 1..10000 and approvalBps 5001..10000 (more than half of the weight approves).
    error InvalidThresholds(uint256 participationBps, uint256 approvalBps);
    error LengthMismatch();
    error NoMembers();

    modifier onlyMember() {
        if (_members[msg.sender].weight == 0) revert NotMember(msg.sender);
        _;
    }

    /// Changes of the committee itself are made by a proposal whose target is the Committee.
    modifier onlySelf() {
        if (msg.sender != COMMITTEE) revert OnlyCommittee(msg.sender);
        _;
    }

    constructor(address[] memory members, uint96[] memory weights, uint16 participationBps_, uint16 approvalBps_) {
        if (members.length != weights.length) revert LengthMismatch();
        for (uint256 i = 0; i < members.length; i++) {
            _addMember(members[i], weights[i]);
        }
        if (members.length == 0) revert NoMembers();
        _setThresholds(participationBps_, approvalBps_);
        version = 1;
    }

    // ---------------------------------------------------------------- proposals

    /// Proposes that the Committee call `target` with `data`; members may vote until block
    /// `block.number + votingBlocks` included. Returns the proposal's id.
    function propose(address target, bytes calldata data, string calldata description, uint64 votingBlocks)
        external
        onlyMember
        returns (uint256 id)
    {
        if (votingBlocks == 0 || votingBlocks > VOTING_BLOCKS_MAX) {
            revert InvalidVotingPeriod(votingBlocks, VOTING_BLOCKS_MAX);
        }
        if (target.code.length == 0) revert TargetNotContract(target);
        if (data.length > CALL_DATA_BYTES_MAX) revert CallDataTooLong(data.length, CALL_DATA_BYTES_MAX);
        if (bytes(description).length > DESCRIPTION_BYTES_MAX) {
            revert DescriptionTooLong(bytes(description).length, DESCRIPTION_BYTES_MAX);
        }
        id = ++proposalCount;
        uint64 deadline = uint64(block.number) + votingBlocks;
        Proposal storage proposal = _proposals[id];
        proposal.proposer = msg.sender;
        proposal.deadline = deadline;
        proposal.committeeVersion = version;
        proposal.target = target;
        proposal.state = State.Pending;
        proposal.data = data;
        emit ProposalCreated(id, msg.sender, target, data, description, deadline);
    }

    /// Votes on an open proposal. The vote that makes it pass executes its call (and reverts with
    /// `ExecutionFailed` if the call does); the vote that makes approval unreachable rejects it.
    function vote(uint256 id, bool approve) external onlyMember {
        Proposal storage proposal = _proposals[id];
        State state = proposal.state;
        if (state == State.None) revert UnknownProposal(id);
        if (state != State.Pending) revert ProposalClosed(id, state);
        if (proposal.committeeVersion != version) revert ProposalOutdated(id);
        if (block.number > proposal.deadline) revert ProposalExpired(id, proposal.deadline);
        if (_votes[id][msg.sender] != Vote.None) revert AlreadyVoted(id, msg.sender);

        uint96 weight = _members[msg.sender].weight;
        _votes[id][msg.sender] = approve ? Vote.Yes : Vote.No;
        if (approve) proposal.yes += weight;
        else proposal.no += weight;
        emit Voted(id, msg.sender, approve, weight);

        uint256 total = totalWeight;
        uint256 yes = proposal.yes;
        uint256 no = proposal.no;
        if ((yes + no) * BPS >= participationBps * total && yes * BPS >= approvalBps * total) {
            // Marked before the call, so the call cannot vote it through twice; a failed call reverts it all.
            proposal.state = State.Executed;
            emit ProposalPassed(id, proposal.yes, proposal.no);
            (bool ok, bytes memory reason) = proposal.target.call(proposal.data);
            if (!ok) revert ExecutionFailed(id, reason);
            emit ProposalExecuted(id);
        } else if (no * BPS > (BPS - approvalBps) * total) {
            proposal.state = State.Rejected;
            emit ProposalRejected(id, proposal.yes, proposal.no);
        }
    }

    // ---------------------------------------------------------------- the committee itself (by proposal)

    function addMember(address member, uint96 weight) external onlySelf {
        _addMember(member, weight);
        _changed();
    }

    function removeMember(address member) external onlySelf {
        Member storage entry = _members[member];
        if (entry.weight == 0) revert UnknownMember(member);
        if (_memberList.length == 1) revert LastMember(member);
        uint256 index = entry.listIndex;
        address moved = _memberList[_memberList.length - 1];
        _memberList[index] = moved;
        _members[moved].listIndex = uint16(index);
        _memberList.pop();
        totalWeight -= entry.weight;
        delete _members[member];
        emit MemberRemoved(member);
        _changed();
    }

    function setMemberWeight(address member, uint96 weight) external onlySelf {
        Member storage entry = _members[member];
        if (entry.weight == 0) revert UnknownMember(member);
        _checkWeight(weight);
        uint96 from = entry.weight;
        if (from == weight) return;
        totalWeight = totalWeight - from + weight;
        entry.weight = weight;
        emit MemberWeightChanged(member, from, weight);
        _changed();
    }

    function setThresholds(uint16 participationBps_, uint16 approvalBps_) external onlySelf {
        _setThresholds(participationBps_, approvalBps_);
        _changed();
    }

    // ---------------------------------------------------------------- reads

    function isMember(address account) external view returns (bool) {
        return _members[account].weight != 0;
    }

    function weightOf(address account) external view returns (uint96) {
        return _members[account].weight;
    }

    /// Every member with its weight (at most `MEMBERS_MAX`).
    function getMembers() external view returns (address[] memory members, uint96[] memory weights) {
        members = _memberList;
        weights = new uint96[](members.length);
        for (uint256 i = 0; i < members.length; i++) {
            weights[i] = _members[members[i]].weight;
        }
    }

    function getProposal(uint256 id) external view returns (Proposal memory) {
        return _proposals[id];
    }

    /// The proposal's state now: Pending, Executed, Rejected, Expired, Outdated, or None for an unknown id.
    function stateOf(uint256 id) external view returns (State) {
        Proposal storage proposal = _proposals[id];
        State state = proposal.state;
        if (state != State.Pending) return state;
        if (proposal.committeeVersion != version) return State.Outdated;
        if (block.number > proposal.deadline) return State.Expired;
        return State.Pending;
    }

    function voteOf(uint256 id, address member) external view returns (Vote) {
        return _votes[id][member];
    }

    // ---------------------------------------------------------------- internals

    function _checkWeight(uint256 weight) internal pure {
        if (weight == 0 || weight > MEMBER_WEIGHT_MAX) revert InvalidWeight(weight, MEMBER_WEIGHT_MAX);
    }

    function _addMember(address member, uint96 weight) internal {
        if (member == address(0)) revert ZeroAddress();
        if (_members[member].weight != 0) revert MemberExists(member);
        _checkWeight(weight);
        if (_memberList.length >= MEMBERS_MAX) revert TooManyMembers(MEMBERS_MAX);
        _members[member] = Member(weight, uint16(_memberList.length));
        _memberList.push(member);
        totalWeight += weight;
        emit MemberAdded(member, weight);
    }

    function _setThresholds(uint16 participationBps_, uint16 approvalBps_) internal {
        if (participationBps_ == 0 || participationBps_ > BPS || approvalBps_ <= BPS / 2 || approvalBps_ > BPS) {
            revert InvalidThresholds(participationBps_, approvalBps_);
        }
        participationBps = participationBps_;
        approvalBps = approvalBps_;
        emit ThresholdsChanged(participationBps_, approvalBps_);
    }

    /// A change of the committee closes every open proposal (they become Outdated).
    function _changed() internal {
        version += 1;
    }
}
