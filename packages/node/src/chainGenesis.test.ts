import { Chain } from "@charter/chain";
import { parseGenesis } from "@charter/config";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import { createGovernanceView } from "@charter/governance";
import { createMemoryKv } from "@charter/kv";
import { StateDB } from "@charter/state";
import { bytesToHex } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { chainGenesisFromConfig } from "./chainGenesis.js";

const suite = createEcdsaSuite();
const keys = [1, 2].map((i) => keccak256(new Uint8Array([i, 3])));
const validators = keys.map((key, i) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return {
    name: `node${i}`,
    address: bytesToHex(suite.addressFromPublicKey(publicKey)),
    publicKey: bytesToHex(publicKey),
  };
});
const admin = `0x${"ab".repeat(20)}`;
const fingerprint = `0x${"cd".repeat(32)}`;

describe("chainGenesisFromConfig", () => {
  it("carries the genesis file's governance section to the chain, which creates the system contracts from it", async () => {
    const genesis = parseGenesis({
      chainId: 7345,
      timestampMs: 1_700_000_000_000,
      blockIntervalMs: 500,
      validators: [
        { ...validators[0]!, org: "bank" },
        { ...validators[1]!, org: "notary" },
      ],
      governance: {
        organizations: [
          { id: "bank", name: "Bank", caFingerprint: fingerprint },
          { id: "notary", name: "Notary" },
        ],
        committee: [{ address: admin, weight: 2 }],
        transact: { mode: "denylist", denylist: [validators[1]!.address] },
      },
    });
    const chainGenesis = chainGenesisFromConfig(genesis);
    expect(chainGenesis.governance?.validatorOrgs).toEqual(["bank", "notary"]);
    expect(chainGenesis.blockIntervalMs).toBe(500);
    const kv = createMemoryKv();
    const chain = await Chain.open({
      kv,
      suite,
      state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
      executor: new Executor({ chainId: 7345n, blockHash: async () => undefined }),
      genesis: chainGenesis,
    });
    const state = chain.worldState.latest();
    const gov = createGovernanceView((address, slot) => state.getStorage(address, slot));
    expect(gov.node(chainGenesis.validators[1]!.address)?.org).toBe("notary");
    expect(bytesToHex(gov.orgCAFingerprint("bank")!)).toBe(fingerprint);
    expect(gov.committeeTotals()).toMatchObject({
      totalWeight: 2,
      participationBps: 6667,
      approvalBps: 5001,
    });
    expect(gov.policyModes()).toEqual({ deploy: "open", transact: "denylist" });
    expect(gov.mayTransact(chainGenesis.validators[1]!.address)).toBe(false);
    expect(gov.chainParam("blockIntervalMs")).toBe(500n);
  });

  it("leaves the governance to the chain's default when the file has none", () => {
    const genesis = parseGenesis({ chainId: 7345, timestampMs: 0, validators: [validators[0]!] });
    const chainGenesis = chainGenesisFromConfig(genesis);
    expect(chainGenesis.governance).toBeUndefined();
    expect(chainGenesis.blockIntervalMs).toBe(1000);
  });
});
