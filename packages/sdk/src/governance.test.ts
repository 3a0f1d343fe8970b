import { NODE_WEIGHT_TOTAL_MAX } from "@charter/governance";
import { type Address, decodeFunctionData, type Hex, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { SYSTEM_CONTRACT_ABIS, SYSTEM_CONTRACT_ADDRESSES } from "./contracts.js";
import { isCharterSDKError } from "./errors.js";
import {
  abolishAccount,
  addMember,
  addNode,
  addOrg,
  addToList,
  describeGovernanceCall,
  freezeAccount,
  type GovernanceCall,
  removeFromList,
  removeMember,
  removeNode,
  removeOrg,
  restoreCertificate,
  revokeCertificate,
  setChainParam,
  setContractAdmin,
  setListed,
  setMemberWeight,
  setMethodAllowlist,
  setMethodRestricted,
  setNodeRole,
  setNodeWeight,
  setOrgCA,
  setPolicyMode,
  setThresholds,
  unfreezeAccount,
} from "./governance.js";

const node = privateKeyToAccount(`0x${"11".repeat(32)}`);
const alice: Address = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const bob: Address = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const token: Address = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const fingerprint: Hex = `0x${"ab".repeat(32)}`;
const zero: Hex = `0x${"00".repeat(32)}`;
const bank = stringToHex("bank", { size: 32 });

/** Decodes a builder's call against the target contract's ABI: what the Committee will execute. */
function decode(call: GovernanceCall) {
  const contract = Object.entries(SYSTEM_CONTRACT_ADDRESSES).find(([, a]) => a === call.target)?.[0];
  expect(contract, `target ${call.target} is a system contract`).toBeDefined();
  const decoded = decodeFunctionData({
    abi: SYSTEM_CONTRACT_ABIS[contract as keyof typeof SYSTEM_CONTRACT_ABIS],
    data: call.data,
  });
  return { contract, functionName: decoded.functionName, args: decoded.args };
}

/** Every builder with what it must encode and say: [call, contract, function, args, summary]. */
const cases: [string, GovernanceCall, string, string, readonly unknown[], string][] = [
  [
    "addNode",
    addNode({ address: node.address, org: "bank", role: "validator", weight: 3, publicKey: node.publicKey }),
    "NodeRegistry",
    "addNode",
    [
      {
        account: node.address,
        org: bank,
        role: 2,
        weight: 3n,
        publicKeyX: `0x${node.publicKey.slice(4, 68)}`,
        publicKeyY: `0x${node.publicKey.slice(68)}`,
      },
    ],
    `add validator node ${node.address.toLowerCase()} of organization "bank" with weight 3`,
  ],
  [
    "removeNode",
    removeNode({ address: alice }),
    "NodeRegistry",
    "removeNode",
    [alice],
    `remove node ${alice}`,
  ],
  [
    "setNodeRole (observer)",
    setNodeRole({ address: alice, role: "observer" }),
    "NodeRegistry",
    "setNodeRole",
    [alice, 1],
    `make node ${alice} an observer`,
  ],
  [
    "setNodeRole (validator)",
    setNodeRole({ address: alice, role: "validator" }),
    "NodeRegistry",
    "setNodeRole",
    [alice, 2],
    `make node ${alice} a validator`,
  ],
  [
    "setNodeWeight",
    setNodeWeight({ address: alice, weight: 7n }),
    "NodeRegistry",
    "setNodeWeight",
    [alice, 7n],
    `set the weight of node ${alice} to 7`,
  ],
  [
    "addOrg",
    addOrg({ id: "bank", name: "Bank of Example", caFingerprint: fingerprint }),
    "OrgRegistry",
    "addOrg",
    [bank, "Bank of Example", fingerprint],
    `add organization "bank" named "Bank of Example" with CA ${fingerprint}`,
  ],
  [
    "addOrg without CA",
    addOrg({ id: "bank", name: "Bank of Example" }),
    "OrgRegistry",
    "addOrg",
    [bank, "Bank of Example", zero],
    `add organization "bank" named "Bank of Example" without a CA fingerprint`,
  ],
  ["removeOrg", removeOrg({ id: "bank" }), "OrgRegistry", "removeOrg", [bank], `remove organization "bank"`],
  [
    "setOrgCA",
    setOrgCA({ id: "bank", caFingerprint: fingerprint.toUpperCase().replace("0X", "0x") }),
    "OrgRegistry",
    "setOrgCA",
    [bank, fingerprint],
    `set the CA of organization "bank" to ${fingerprint}`,
  ],
  [
    "setOrgCA (clear)",
    setOrgCA({ id: "bank", caFingerprint: null }),
    "OrgRegistry",
    "setOrgCA",
    [bank, zero],
    `clear the CA fingerprint of organization "bank"`,
  ],
  [
    "revokeCertificate (openssl colons)",
    revokeCertificate({ fingerprint: Array(32).fill("AB").join(":") }),
    "OrgRegistry",
    "revokeCertificate",
    [fingerprint],
    `revoke certificate ${fingerprint}`,
  ],
  [
    "restoreCertificate",
    restoreCertificate({ fingerprint }),
    "OrgRegistry",
    "restoreCertificate",
    [fingerprint],
    `restore certificate ${fingerprint}`,
  ],
  [
    "addMember",
    addMember({ address: alice, weight: 2 }),
    "Committee",
    "addMember",
    [alice, 2n],
    `add committee member ${alice} with weight 2`,
  ],
  [
    "removeMember",
    removeMember({ address: alice }),
    "Committee",
    "removeMember",
    [alice],
    `remove committee member ${alice}`,
  ],
  [
    "setMemberWeight",
    setMemberWeight({ address: alice, weight: 1_000_000 }),
    "Committee",
    "setMemberWeight",
    [alice, 1_000_000n],
    `set the weight of committee member ${alice} to 1000000`,
  ],
  [
    "setThresholds",
    setThresholds({ participationBps: 8000, approvalBps: 6000 }),
    "Committee",
    "setThresholds",
    [8000, 6000],
    "set the committee's thresholds to participation 8000 bps and approval 6000 bps",
  ],
  [
    "setPolicyMode",
    setPolicyMode({ policy: "transact", mode: "denylist" }),
    "Permissions",
    "setMode",
    [1, 2],
    "set the transact policy to denylist",
  ],
  [
    "setListed",
    setListed({ list: "deployAllow", accounts: [alice, bob], listed: true }),
    "Permissions",
    "setListed",
    [0, [alice, bob], true],
    `add ${alice}, ${bob} to the deploy allowlist`,
  ],
  [
    "addToList",
    addToList({ list: "transactDeny", accounts: [alice] }),
    "Permissions",
    "setListed",
    [3, [alice], true],
    `add ${alice} to the transact denylist`,
  ],
  [
    "removeFromList",
    removeFromList({ list: "transactAllow", accounts: [bob] }),
    "Permissions",
    "setListed",
    [2, [bob], false],
    `remove ${bob} from the transact allowlist`,
  ],
  [
    "setContractAdmin",
    setContractAdmin({ contract: token, admin: alice }),
    "Permissions",
    "setContractAdmin",
    [token, alice],
    `make ${alice} the admin of contract ${token}`,
  ],
  [
    "setContractAdmin (remove)",
    setContractAdmin({ contract: token, admin: null }),
    "Permissions",
    "setContractAdmin",
    [token, "0x0000000000000000000000000000000000000000"],
    `remove the admin of contract ${token}`,
  ],
  [
    "setMethodRestricted",
    setMethodRestricted({ contract: token, selector: "0xa9059cbb", restricted: true }),
    "Permissions",
    "setMethodRestricted",
    [token, "0xa9059cbb", true],
    `restrict method 0xa9059cbb of ${token} to its allowlist`,
  ],
  [
    "setMethodAllowlist",
    setMethodAllowlist({ contract: token, selector: "0xa9059cbb", accounts: [alice], allowed: false }),
    "Permissions",
    "setMethodAllowlist",
    [token, "0xa9059cbb", [alice], false],
    `disallow ${alice} from calling method 0xa9059cbb of ${token}`,
  ],
  [
    "freezeAccount",
    freezeAccount({ account: alice.toUpperCase().replace("0X", "0x") }),
    "AccountStatus",
    "freeze",
    [alice],
    `freeze account ${alice}`,
  ],
  [
    "unfreezeAccount",
    unfreezeAccount({ account: alice }),
    "AccountStatus",
    "unfreeze",
    [alice],
    `unfreeze account ${alice}`,
  ],
  [
    "abolishAccount",
    abolishAccount({ account: token }),
    "AccountStatus",
    "abolish",
    [token],
    `abolish account ${token}`,
  ],
  [
    "setChainParam",
    setChainParam({ param: "blockGasLimit", value: 30_000_000n }),
    "ChainParams",
    "setParam",
    [1, 30_000_000n],
    "set chain parameter blockGasLimit to 30000000",
  ],
  [
    "setChainParam (unset a pool cap)",
    setChainParam({ param: "poolTxCountMax", value: 0 }),
    "ChainParams",
    "setParam",
    [2, 0n],
    "set chain parameter poolTxCountMax to 0",
  ],
];

/** viem decodes addresses checksummed; compare them in lower case. */
function lower(value: unknown): unknown {
  if (typeof value === "string") return value.toLowerCase();
  if (Array.isArray(value)) return value.map(lower);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lower(v)]));
  return value;
}

describe("proposal builders", () => {
  it.each(cases)("%s encodes the call it names and describes it", (_, call, contract, fn, args, summary) => {
    const decoded = decode(call);
    expect(decoded.contract).toBe(contract);
    expect(decoded.functionName).toBe(fn);
    expect(lower(decoded.args)).toEqual(lower(args));
    expect(call.summary).toBe(summary);
    // Reading the call back (as `charter gov show` does for a proposal) gives the builder's own summary.
    expect(describeGovernanceCall(call)).toMatchObject({ contract, functionName: fn, summary });
  });

  it("covers every mutating function of every system contract", () => {
    const built = new Set(cases.map(([, call]) => `${decode(call).contract}.${decode(call).functionName}`));
    const mutating = Object.entries(SYSTEM_CONTRACT_ABIS).flatMap(([contract, abi]) =>
      abi
        .filter((item) => item.type === "function" && item.stateMutability === "nonpayable")
        .map((item) => `${contract}.${(item as { name: string }).name}`),
    );
    // Proposing and voting are what members do directly; every other change is a proposal's call.
    const proposable = mutating.filter((name) => name !== "Committee.propose" && name !== "Committee.vote");
    expect([...built].sort()).toEqual(proposable.sort());
  });

  it("accepts a 64-byte public key (x ‖ y) as well as the 0x04-prefixed form", () => {
    const a = addNode({
      address: node.address,
      org: "bank",
      role: "observer",
      weight: 1,
      publicKey: node.publicKey,
    });
    const b = addNode({
      address: node.address,
      org: "bank",
      role: "observer",
      weight: 1,
      publicKey: `0x${node.publicKey.slice(4)}`,
    });
    expect(b.data).toBe(a.data);
    expect(a.summary).toMatch(/^add observer node/);
  });

  const refusals: [string, () => unknown, RegExp][] = [
    ["a malformed address", () => removeNode({ address: "0x1234" }), /address must be an address .*"0x1234"/],
    [
      "an organization id with a space",
      () => removeOrg({ id: "my bank" }),
      /organization id "my bank" must be 1 to 31 ASCII letters/,
    ],
    ["an organization id of 32 bytes", () => removeOrg({ id: "a".repeat(32) }), /must be 1 to 31/],
    [
      "a node weight above 2^20",
      () => setNodeWeight({ address: alice, weight: NODE_WEIGHT_TOTAL_MAX + 1 }),
      /weight must be from 1 to 1048576, not 1048577/,
    ],
    [
      "a member weight of 0",
      () => addMember({ address: alice, weight: 0 }),
      /weight must be from 1 to 1000000/,
    ],
    ["a fractional weight", () => addMember({ address: alice, weight: 1.5 }), /weight must be an integer/],
    [
      "an approval threshold of one half",
      () => setThresholds({ participationBps: 6667, approvalBps: 5000 }),
      /approvalBps must be from 5001 to 10000, not 5000/,
    ],
    [
      "an unknown role",
      () => setNodeRole({ address: alice, role: "leader" as "validator" }),
      /role must be validator or observer, not "leader"/,
    ],
    [
      "an unknown list",
      () => addToList({ list: "deployAllowlist" as "deployAllow", accounts: [alice] }),
      /list must be one of deployAllow, deployDeny, transactAllow, transactDeny/,
    ],
    ["no accounts", () => addToList({ list: "deployAllow", accounts: [] }), /at least one account/],
    [
      "65 accounts",
      () => addToList({ list: "deployAllow", accounts: Array(65).fill(alice) }),
      /at most 64 accounts fit one proposal, not 65/,
    ],
    [
      "freezing a system contract",
      () => freezeAccount({ account: SYSTEM_CONTRACT_ADDRESSES.Committee }),
      /is a system account, which cannot be frozen/,
    ],
    [
      "a zero fingerprint to revoke",
      () => revokeCertificate({ fingerprint: zero }),
      /fingerprint must not be zero/,
    ],
    ["a short fingerprint", () => restoreCertificate({ fingerprint: "0xabcd" }), /SHA-256 fingerprint/],
    [
      "a block interval out of bounds",
      () => setChainParam({ param: "blockIntervalMs", value: 10 }),
      /blockIntervalMs must be from 50 to 60000, not 10/,
    ],
    [
      "an unset pool cap out of bounds",
      () => setChainParam({ param: "poolPerSenderMax", value: 3 }),
      /poolPerSenderMax must be from 16 to 100000 \(or 0: not set\), not 3/,
    ],
    [
      "a public key of the wrong length",
      () => addNode({ address: alice, org: "bank", role: "validator", weight: 1, publicKey: "0x04abcd" }),
      /publicKey must be the uncompressed public key/,
    ],
    ["an empty organization name", () => addOrg({ id: "bank", name: "" }), /name must be 1 to 64 bytes/],
    [
      "a selector of 3 bytes",
      () => setMethodRestricted({ contract: token, selector: "0xa9059c", restricted: true }),
      /selector must be 4 bytes/,
    ],
    [
      "an admin for a system contract",
      () => setContractAdmin({ contract: SYSTEM_CONTRACT_ADDRESSES.Permissions, admin: alice }),
      /is a system contract, which has no admin/,
    ],
  ];

  it.each(refusals)("refuses %s with a clear message", (_, build, message) => {
    let thrown: unknown;
    try {
      build();
    } catch (error) {
      thrown = error;
    }
    expect(isCharterSDKError(thrown, "invalid-argument"), String(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it("describes calls it cannot decode by their target and size", () => {
    expect(describeGovernanceCall({ target: token, data: "0x12345678" }).summary).toBe(
      `call ${token} with 4 bytes of data`,
    );
    expect(
      describeGovernanceCall({ target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus, data: "0xdeadbeef" }),
    ).toMatchObject({
      contract: "AccountStatus",
      functionName: undefined,
      summary: "call AccountStatus with undecodable data 0xdeadbeef…",
    });
  });
});
