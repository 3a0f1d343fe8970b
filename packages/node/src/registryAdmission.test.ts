import { Chain } from "@charter/chain";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import {
  COMMITTEE_ADDRESS,
  committeeArtifact,
  createGovernanceView,
  defaultGovernanceGenesis,
  NODE_REGISTRY_ADDRESS,
  NodeRole,
  nodeRegistryArtifact,
  ORG_REGISTRY_ADDRESS,
  orgIdToBytes32,
  orgRegistryArtifact,
} from "@charter/governance";
import { createMemoryKv } from "@charter/kv";
import { createPeerNetwork, type PeerNetwork } from "@charter/p2p";
import {
  type CertificateAuthority,
  type CertificateIdentity,
  type CreatedAuthority,
  checkCertificatePolicy,
  createOrgCA,
  createRootCA,
  type IssuedCertificate,
  issueNodeCertificate,
  pemToDer,
  verifyCertificateChain,
} from "@charter/pki";
import { StateDB } from "@charter/state";
import { signTx, TxType, type VerifiedTx } from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRegistryAdmission, createRegistryCertificatePolicy } from "./registryAdmission.js";

/**
 * P2P admission from the governance contracts: the certificate policy over `OrgRegistry` and the address check
 * over `NodeRegistry`, read from a real chain whose committee votes nodes in and certificates out, and applied by
 * real peer networks over TLS with consortium certificates.
 */

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const keys = [0, 1, 2, 3, 4, 5].map((i) => keccak256(new Uint8Array([i, 17])));
const addressOf = (key: Uint8Array) => suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key));
const hexOf = (i: number) => bytesToHex(addressOf(keys[i]!));
/** Keys 0-3 are the genesis validators (0 and 2 of "bank", 1 and 3 of "notary"); 4 is voted in as an observer. */
const validators = keys.slice(0, 4).map((key) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
});

let root: CreatedAuthority;
let bank: CreatedAuthority;
let notary: CreatedAuthority;
/** An org CA the root issued for "rogue", which the registry does not know. */
let rogue: CreatedAuthority;
/** A second CA for "bank" under the same root: not the one the registry pins. */
let bankImpostor: CreatedAuthority;

beforeAll(async () => {
  root = await createRootCA({ name: "Test consortium root" });
  [bank, notary, rogue, bankImpostor] = await Promise.all([
    createOrgCA({ root, org: "bank" }),
    createOrgCA({ root, org: "notary" }),
    createOrgCA({ root, org: "rogue" }),
    createOrgCA({ root, org: "bank" }),
  ]);
});

async function openChain(): Promise<Chain> {
  const kv = createMemoryKv();
  const defaults = defaultGovernanceGenesis(validators);
  return Chain.open({
    kv,
    suite,
    state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
    executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
    genesis: {
      chainId: CHAIN_ID,
      timestampMs: 1_700_000_000_000,
      gasLimit: 30_000_000n,
      alloc: new Map(),
      validators,
      extraData: new Uint8Array(0),
      governance: {
        ...defaults,
        organizations: [
          { id: "bank", name: "Bank", caFingerprint: hexToBytes(bank.info.fingerprint) },
          { id: "notary", name: "Notary" },
        ],
        validatorOrgs: ["bank", "notary", "bank", "notary"],
        // One member: a single vote passes a proposal.
        committee: [{ address: validators[0]!.address, weight: 1 }],
      },
    },
  });
}

const committee = committeeArtifact.abi as unknown as Abi;
function committeeCall(functionName: string, args: readonly unknown[], nonce: bigint): VerifiedTx {
  const tx = signTx(
    {
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce,
      gasPrice: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      gasLimit: 2_000_000n,
      to: COMMITTEE_ADDRESS,
      value: 0n,
      data: hexToBytes(encodeFunctionData({ abi: committee, functionName, args } as never) as Hex),
      accessList: [],
    },
    keys[0]!,
    suite,
  );
  return { ...tx, sender: validators[0]!.address };
}

/** Member 0 proposes `target.functionName(args)` and votes for it: executed in one block. */
async function enact(
  chain: Chain,
  target: Uint8Array,
  abi: unknown,
  functionName: string,
  args: readonly unknown[],
): Promise<void> {
  const data = encodeFunctionData({ abi: abi as Abi, functionName, args } as never);
  const proposalId = BigInt(chain.head.block.header.height + 1); // one proposal per block in these tests
  const nonce = chain.worldState.latest().getAccount(validators[0]!.address)?.nonce ?? 0n;
  const executed = await chain.propose({
    timestampMs: chain.head.block.header.timestampMs + 1000,
    proposer: validators[0]!.address,
    transactions: [
      committeeCall("propose", [bytesToHex(target), data, functionName, 10n], nonce),
      committeeCall("vote", [proposalId, true], nonce + 1n),
    ],
    lastCommit: null,
  });
  expect(executed.execution.rejected).toEqual([]);
  expect(executed.receipts.map((r) => r.status)).toEqual([1, 1]);
  await chain.commit(executed);
}

async function issue(orgCA: CertificateAuthority, key: Uint8Array): Promise<IssuedCertificate> {
  const address = bytesToHex(addressOf(key));
  return issueNodeCertificate({ orgCA, name: `node-${address.slice(2, 8)}`, address });
}

function identityOf(issued: IssuedCertificate): CertificateIdentity {
  const [leaf, orgCA] = pemToDer(issued.chainPem, "CERTIFICATE", "chain");
  return verifyCertificateChain({
    leaf: leaf!,
    orgCA: orgCA!,
    root: pemToDer(root.certificatePem, "CERTIFICATE", "root")[0]!,
    now: Date.now(),
    role: "node",
  });
}

const running: PeerNetwork[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((network) => network.stop()));
});

describe("p2p admission from the registry", () => {
  it("refuses an unknown organization, a CA other than the one registered, and revoked certificates", async () => {
    const chain = await openChain();
    const governance = createGovernanceView((a, s) => chain.worldState.latest().getStorage(a, s));
    const policy = createRegistryCertificatePolicy(governance);

    const bankNode = identityOf(await issue(bank, keys[0]!));
    const notaryNode = identityOf(await issue(notary, keys[1]!));
    const rogueNode = identityOf(await issue(rogue, keys[4]!));
    const impostorNode = identityOf(await issue(bankImpostor, keys[2]!));
    checkCertificatePolicy(bankNode, policy);
    // "notary" registered no CA fingerprint: any org CA the root issued for it is accepted.
    checkCertificatePolicy(notaryNode, policy);
    expect(() => checkCertificatePolicy(rogueNode, policy)).toThrowError(
      expect.objectContaining({ code: "unknown-org" }),
    );
    // "bank" pinned its CA: a second CA for "bank", even under the consortium root, is not it.
    expect(() => checkCertificatePolicy(impostorNode, policy)).toThrowError(
      expect.objectContaining({ code: "unknown-org" }),
    );
    expect(policy.isKnownOrg("an-org-id-longer-than-a-bytes32-holds", bank.info.fingerprint)).toBe(false);
    expect(policy.isRevoked({ ...refOf(bankNode), fingerprint: "0x1234" })).toBe(true);

    // The committee revokes the bank node's certificate, then the notary's CA.
    await enact(chain, ORG_REGISTRY_ADDRESS, orgRegistryArtifact.abi, "revokeCertificate", [
      bankNode.fingerprint,
    ]);
    expect(() => checkCertificatePolicy(bankNode, policy)).toThrowError(
      expect.objectContaining({ code: "revoked" }),
    );
    checkCertificatePolicy(identityOf(await issue(bank, keys[2]!)), policy);
    await enact(chain, ORG_REGISTRY_ADDRESS, orgRegistryArtifact.abi, "revokeCertificate", [
      notary.info.fingerprint,
    ]);
    expect(() => checkCertificatePolicy(notaryNode, policy)).toThrowError(
      expect.objectContaining({ code: "revoked", message: expect.stringContaining("CA of organization") }),
    );
  });

  it("admits a node of any role in NodeRegistry and the upcoming validators, and nobody else", async () => {
    const chain = await openChain();
    const governance = createGovernanceView((a, s) => chain.worldState.latest().getStorage(a, s));
    const upcoming = new Set<string>();
    const isAllowed = createRegistryAdmission({ governance, isUpcomingValidator: (a) => upcoming.has(a) });
    expect([0, 1, 2, 3].map((i) => isAllowed(hexOf(i)))).toEqual([true, true, true, true]);
    expect(isAllowed(hexOf(4))).toBe(false);
    expect(isAllowed("0x1234")).toBe(false);

    await enact(chain, NODE_REGISTRY_ADDRESS, nodeRegistryArtifact.abi, "addNode", [nodeInit(4, "notary")]);
    expect(governance.node(addressOf(keys[4]!))?.role).toBe("observer");
    expect(isAllowed(hexOf(4))).toBe(true);

    // A validator removed at the head still votes at the next height: admitted while it is upcoming.
    await enact(chain, NODE_REGISTRY_ADDRESS, nodeRegistryArtifact.abi, "removeNode", [hexOf(3)]);
    expect(isAllowed(hexOf(3))).toBe(false);
    upcoming.add(hexOf(3));
    expect(isAllowed(hexOf(3))).toBe(true);
  });

  it("links an observer of the registry over PKI, and refuses an unknown org, a foreign CA and a revoked certificate", async () => {
    const chain = await openChain();
    await enact(chain, NODE_REGISTRY_ADDRESS, nodeRegistryArtifact.abi, "addNode", [nodeInit(4, "notary")]);
    const governance = createGovernanceView((a, s) => chain.worldState.latest().getStorage(a, s));
    const listener = await startPeer(keys[0]!, await issue(bank, keys[0]!), {
      isAllowed: createRegistryAdmission({ governance, isUpcomingValidator: () => false }),
      policy: createRegistryCertificatePolicy(governance),
    });

    const observerCertificate = await issue(notary, keys[4]!);
    const observer = await startPeer(keys[4]!, observerCertificate, { peers: [listener.port] });
    const rogueNode = await startPeer(keys[5]!, await issue(rogue, keys[5]!), { peers: [listener.port] });
    const impostor = await startPeer(keys[2]!, await issue(bankImpostor, keys[2]!), {
      peers: [listener.port],
    });
    await until(() => listener.network.peers().length === 1, "the observer's link");
    expect(listener.network.peers().map((p) => p.address)).toEqual([hexOf(4)]);
    await until(
      () => listener.closes.filter((c) => c === "unknown-org").length >= 2,
      "the unknown org and the foreign CA refused",
    );
    expect(rogueNode.network.peers()).toEqual([]);
    expect(impostor.network.peers()).toEqual([]);

    // The committee revokes the observer's certificate: its open link closes and it is refused from then on.
    await enact(chain, ORG_REGISTRY_ADDRESS, orgRegistryArtifact.abi, "revokeCertificate", [
      observerCertificate.info.fingerprint,
    ]);
    expect(listener.network.revalidatePeers()).toBe(1);
    expect(listener.closes).toContain("certificate-revoked");
    await until(
      () => listener.closes.filter((c) => c === "certificate-revoked").length >= 2,
      "the observer refused again when it redials",
    );
    expect(listener.network.peers()).toEqual([]);
    expect(observer.network.peers()).toEqual([]);
  });
});

function refOf(identity: CertificateIdentity) {
  return {
    role: identity.role,
    subject: identity.name,
    serial: identity.serial,
    fingerprint: identity.fingerprint,
  };
}

function nodeInit(i: number, org: string) {
  const publicKey = suite.publicKeyFromPrivateKey(keys[i]!);
  return {
    account: hexOf(i),
    org: bytesToHex(orgIdToBytes32(org)),
    role: NodeRole.observer,
    weight: 1n,
    publicKeyX: bytesToHex(publicKey.subarray(1, 33)),
    publicKeyY: bytesToHex(publicKey.subarray(33, 65)),
  };
}

interface Peer {
  readonly network: PeerNetwork;
  readonly port: number;
  /** Codes of the links this node closed. */
  readonly closes: string[];
}

async function startPeer(
  nodeKey: Uint8Array,
  certificate: IssuedCertificate,
  options: {
    isAllowed?: (address: string) => boolean;
    policy?: ReturnType<typeof createRegistryCertificatePolicy>;
    peers?: number[];
  } = {},
): Promise<Peer> {
  const closes: string[] = [];
  const network = createPeerNetwork(
    {
      chainId: CHAIN_ID,
      nodeKey,
      handshakeTimeoutMs: 2_000,
      reconnectDelayMsMin: 20,
      reconnectDelayMsMax: 100,
      peers: (options.peers ?? []).map((port) => ({ host: "127.0.0.1", port })),
      pki: {
        certificateChainPem: certificate.chainPem,
        keyPem: certificate.keyPem,
        rootCertificatePem: root.certificatePem,
      },
    },
    {
      isAllowed: options.isAllowed ?? (() => true),
      suite,
      random: () => 0.5,
      ...(options.policy ? { certificatePolicy: options.policy } : {}),
      logger: {
        debug() {},
        info() {},
        warn(fields: object) {
          const code = (fields as { code?: string }).code;
          if (code !== undefined) closes.push(code);
        },
      },
    },
  );
  const { port } = await network.start();
  running.push(network);
  return { network, port, closes };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
