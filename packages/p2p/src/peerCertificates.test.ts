import tls from "node:tls";
import { createEcdsaSuite } from "@charter/crypto";
import {
  type CertificateAuthority,
  createInMemoryCertificatePolicy,
  createOrgCA,
  createRootCA,
  DAY_MS,
  type InMemoryCertificatePolicy,
  type IssuedCertificate,
  issueNodeCertificate,
} from "@charter/pki";
import { bytesToHex, type Clock, systemClock } from "@charter/utils";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { certificateFingerprint } from "./certificate.js";
import { encodeFrame } from "./frame.js";
import { createHello, HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL } from "./hello.js";
import type { PeerPKIOptions } from "./peerCertificates.js";
import { createPeerNetwork, type Misbehavior, type PeerNetwork } from "./peerNetwork.js";

/**
 * PKI mode of the peer network over real TLS sockets: org-issued chains up to one consortium root, bound to the
 * node key the Hello proves, checked for time and against an injected certificate policy.
 */

const suite = createEcdsaSuite();
const CHAIN_ID = 4242n;
const HOST = "127.0.0.1";
const running: PeerNetwork[] = [];

let root: CertificateAuthority;
let org0: CertificateAuthority;
let org1: CertificateAuthority;
/** An organization under another root that happens to have the same name. */
let otherRoot: CertificateAuthority;
let otherOrg: CertificateAuthority;

beforeAll(async () => {
  root = await createRootCA({ name: "Consortium root" });
  org0 = await createOrgCA({ root, org: "org0" });
  org1 = await createOrgCA({ root, org: "org1" });
  otherRoot = await createRootCA({ name: "Consortium root" });
  otherOrg = await createOrgCA({ root: otherRoot, org: "org0" });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((network) => network.stop()));
});

interface Key {
  readonly key: Uint8Array;
  readonly address: string;
}

function newKey(): Key {
  const key = suite.generatePrivateKey();
  return { key, address: bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key))) };
}

async function issue(
  key: Key,
  options: { orgCA?: CertificateAuthority; now?: number; validityDays?: number } = {},
): Promise<IssuedCertificate> {
  return issueNodeCertificate({
    orgCA: options.orgCA ?? org0,
    name: `node-${key.address.slice(2, 8)}`,
    address: key.address,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.validityDays === undefined ? {} : { validityDays: options.validityDays }),
  });
}

function pkiOf(issued: IssuedCertificate, trusted: CertificateAuthority = root): PeerPKIOptions {
  return {
    certificateChainPem: issued.chainPem,
    keyPem: issued.keyPem,
    rootCertificatePem: trusted.certificatePem,
  };
}

interface TestNode {
  readonly network: PeerNetwork;
  readonly port: number;
  readonly up: string[];
  readonly down: string[];
  readonly misbehavior: Misbehavior[];
  /** Codes of every link this node closed, from its log. */
  readonly closes: string[];
  readonly warnings: string[];
}

async function startNode(
  key: Key,
  pki: PeerPKIOptions | undefined,
  options: {
    policy?: InMemoryCertificatePolicy;
    clock?: Clock;
    peers?: { host: string; port: number; address?: string }[];
  } = {},
): Promise<TestNode> {
  const closes: string[] = [];
  const warnings: string[] = [];
  const network = createPeerNetwork(
    {
      chainId: CHAIN_ID,
      nodeKey: key.key,
      handshakeTimeoutMs: 2_000,
      reconnectDelayMsMin: 20,
      reconnectDelayMsMax: 100,
      ...(pki ? { pki } : {}),
      ...(options.peers ? { peers: options.peers } : {}),
    },
    {
      isAllowed: () => true,
      suite,
      random: () => 0.5,
      ...(options.policy ? { certificatePolicy: options.policy } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      logger: {
        debug() {},
        info() {},
        warn(fields: { code?: string }, message: string) {
          if (message === "p2p link closed" && fields.code) closes.push(fields.code);
          else warnings.push(message);
        },
      },
    },
  );
  const node: Omit<TestNode, "port"> = { network, up: [], down: [], misbehavior: [], closes, warnings };
  network.onPeerUp((address) => node.up.push(address));
  network.onPeerDown((address) => node.down.push(address));
  network.onMisbehavior((report) => node.misbehavior.push(report));
  const { port } = await network.start();
  running.push(network);
  return { ...node, port };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A hand-driven TLS client presenting `issued`'s chain; it records what it receives and whether it was closed. */
async function rawClient(port: number, issued: IssuedCertificate) {
  const socket = tls.connect({
    host: HOST,
    port,
    key: issued.keyPem,
    cert: issued.chainPem,
    minVersion: "TLSv1.3",
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const client = { socket, received: [] as Buffer[], closed: false };
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => client.received.push(chunk));
  socket.on("close", () => {
    client.closed = true;
  });
  await new Promise<void>((resolve) => socket.once("secureConnect", resolve));
  return client;
}

/** A node A that listens, and a node B that dials it; resolves once A has refused B (or linked it). */
async function dialPair(
  a: { key: Key; pki: PeerPKIOptions; policy?: InMemoryCertificatePolicy },
  b: { key: Key; pki: PeerPKIOptions | undefined },
): Promise<{ a: TestNode; b: TestNode }> {
  const nodeA = await startNode(a.key, a.pki, a.policy ? { policy: a.policy } : {});
  const nodeB = await startNode(b.key, b.pki, { peers: [{ host: HOST, port: nodeA.port }] });
  await waitFor(() => nodeA.closes.length > 0 || nodeA.up.length > 0, "A to decide");
  return { a: nodeA, b: nodeB };
}

describe("peer network with consortium certificates (real TLS)", () => {
  it("links nodes of two organizations whose chains verify, and knows each peer's org", async () => {
    const [ka, kb] = [newKey(), newKey()];
    const a = await startNode(ka, pkiOf(await issue(ka)));
    const b = await startNode(kb, pkiOf(await issue(kb, { orgCA: org1 })), {
      peers: [{ host: HOST, port: a.port, address: ka.address }],
    });
    await waitFor(() => a.up.length === 1 && b.up.length === 1, "the link");
    expect(a.up).toEqual([kb.address]);
    expect(b.up).toEqual([ka.address]);
    expect(a.network.peers()[0]).toMatchObject({ address: kb.address, org: "org1" });
    expect(b.network.peers()[0]).toMatchObject({ address: ka.address, org: "org0" });
    const received: string[] = [];
    a.network.onMessage((from, _type, payload) =>
      received.push(`${from}:${new TextDecoder().decode(payload)}`),
    );
    expect(b.network.send(ka.address, 1, new TextEncoder().encode("hi"))).toBe(true);
    await waitFor(() => received.length === 1, "delivery");
    expect(received).toEqual([`${kb.address}:hi`]);
    expect(a.closes).toEqual([]);
    expect(a.misbehavior).toEqual([]);
  });

  it("refuses an expired chain and a not-yet-valid one, as policy rather than misbehavior", async () => {
    const [ka, kb, kc] = [newKey(), newKey(), newKey()];
    const pkiA = pkiOf(await issue(ka));
    const expired = pkiOf(await issue(kb, { now: Date.now() - 20 * DAY_MS, validityDays: 10 }));
    const { a, b } = await dialPair({ key: ka, pki: pkiA }, { key: kb, pki: expired });
    expect(a.closes[0]).toBe("certificate-expired");
    expect(b.warnings.some((w) => w.includes("outside its validity window"))).toBe(true);
    const future = pkiOf(await issue(kc, { now: Date.now() + 10 * DAY_MS }));
    const c = await startNode(kc, future, { peers: [{ host: HOST, port: a.port }] });
    // B keeps redialling and is refused each time; wait for C's refusal among them.
    await waitFor(() => a.closes.includes("certificate-not-yet-valid"), "C's refusal");
    expect(new Set(a.closes)).toEqual(new Set(["certificate-expired", "certificate-not-yet-valid"]));
    expect(a.up).toEqual([]);
    expect(b.up).toEqual([]);
    expect(c.up).toEqual([]);
    expect(a.misbehavior).toEqual([]);
  });

  it("refuses a chain from another root, as listener and as dialer, and reports it", async () => {
    const [ka, kb] = [newKey(), newKey()];
    const a = await startNode(ka, pkiOf(await issue(ka)));
    // An outsider whose org CA has the same names as org0's, under a root of the same name, but other keys.
    const outsider = await issue(kb, { orgCA: otherOrg });
    const raw = await rawClient(a.port, outsider);
    await waitFor(() => raw.closed, "the listener to close");
    expect(a.closes).toEqual(["certificate-invalid"]);
    expect(a.misbehavior[0]).toMatchObject({ code: "certificate-invalid" });
    expect(a.misbehavior[0]!.message).toMatch(/signature .* does not verify/);
    // The outsider as a full node (trusting its own root) dialing A refuses A's chain before saying Hello.
    const b = await startNode(kb, pkiOf(outsider, otherRoot), { peers: [{ host: HOST, port: a.port }] });
    await waitFor(() => b.closes.length > 0, "the dialer's refusal");
    expect(b.closes[0]).toBe("certificate-invalid");
    expect(a.up).toEqual([]);
    expect(b.up).toEqual([]);
  });

  it("asks the certificate policy: unknown organizations and revoked certificates are refused", async () => {
    const [ka, kb, kc] = [newKey(), newKey(), newKey()];
    const policy = createInMemoryCertificatePolicy({ orgs: ["org0"] });
    const pkiA = pkiOf(await issue(ka));
    const unknown = await dialPair(
      { key: ka, pki: pkiA, policy },
      { key: kb, pki: pkiOf(await issue(kb, { orgCA: org1 })) },
    );
    expect(unknown.a.closes[0]).toBe("unknown-org");
    await Promise.all(running.splice(0).map((network) => network.stop()));

    const revokedCertificate = await issue(kc);
    policy.revoke(revokedCertificate.info.fingerprint);
    const revoked = await dialPair(
      { key: ka, pki: pkiA, policy },
      { key: kc, pki: pkiOf(revokedCertificate) },
    );
    expect(revoked.a.closes[0]).toBe("certificate-revoked");
    expect(revoked.a.up).toEqual([]);
    expect(revoked.a.misbehavior).toEqual([]);
  });

  it("drops an open link when governance revokes the peer's certificate or it expires (revalidatePeers)", async () => {
    const [ka, kb, kc] = [newKey(), newKey(), newKey()];
    const policy = createInMemoryCertificatePolicy();
    let offsetMs = 0;
    const clock: Clock = { now: () => Date.now() + offsetMs, setTimer: systemClock.setTimer };
    const a = await startNode(ka, pkiOf(await issue(ka)), { policy, clock });
    const certificateB = await issue(kb, { validityDays: 30 });
    const b = await startNode(kb, pkiOf(certificateB), { peers: [{ host: HOST, port: a.port }] });
    const c = await startNode(kc, pkiOf(await issue(kc)), { peers: [{ host: HOST, port: a.port }] });
    await waitFor(() => a.up.length === 2 && b.up.length === 1 && c.up.length === 1, "both links");
    expect(a.network.revalidatePeers()).toBe(0);

    policy.revoke(certificateB.info.serial);
    expect(a.network.revalidatePeers()).toBe(1);
    expect(a.closes).toEqual(["certificate-revoked"]);
    expect(a.down).toEqual([kb.address]);
    expect(a.network.peers().map((p) => p.address)).toEqual([kc.address]);
    // B redials, and is refused at the handshake from now on.
    await waitFor(
      () => a.closes.filter((code) => code === "certificate-revoked").length >= 2,
      "B refused again",
    );

    // A month later by A's clock C's one-year certificate is still good; after a year it has expired.
    offsetMs = 31 * DAY_MS;
    expect(a.network.revalidatePeers()).toBe(0);
    offsetMs = 400 * DAY_MS;
    expect(a.network.revalidatePeers()).toBe(1);
    expect(a.closes.at(-1)).toBe("certificate-expired");
    expect(a.network.peers()).toEqual([]);
  });

  it("refuses node A's certificate presented with node B's key (address mismatch)", async () => {
    const [ka, kb] = [newKey(), newKey()];
    const certificateA = await issue(ka);
    const listenerKey = newKey();
    const listener = await startNode(listenerKey, pkiOf(await issue(listenerKey)));
    // B holds a stolen copy of A's certificate and key, and signs its Hello with its own node key.
    const { socket, received } = await rawClient(listener.port, certificateA);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    const hello = createHello({
      suite,
      nodeKey: kb.key,
      chainId: CHAIN_ID,
      exporter: new Uint8Array(
        socket.exportKeyingMaterial(HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL, Buffer.alloc(0)),
      ),
      peerCertificateFingerprint: certificateFingerprint(new Uint8Array(socket.getPeerCertificate().raw)),
    });
    socket.write(encodeFrame(0, hello));
    await closed;
    expect(listener.closes).toEqual(["certificate-address-mismatch"]);
    expect(listener.misbehavior[0]).toMatchObject({
      code: "certificate-address-mismatch",
      address: kb.address,
    });
    expect(received).toEqual([]); // the listener never sent its own Hello
    expect(listener.up).toEqual([]);

    // And a node cannot even be configured with a certificate bound to another key.
    expect(() =>
      createPeerNetwork(
        { chainId: CHAIN_ID, nodeKey: kb.key, pki: pkiOf(certificateA) },
        { isAllowed: () => true },
      ),
    ).toThrow(/bound to .* but the node key's address is/);
  });

  it("refuses a peer without PKI (a self-signed certificate) and keeps self-signed nodes working together", async () => {
    const [ka, kb, kc] = [newKey(), newKey(), newKey()];
    const { a } = await dialPair({ key: ka, pki: pkiOf(await issue(ka)) }, { key: kb, pki: undefined });
    expect(a.closes[0]).toBe("certificate-invalid");
    expect(a.misbehavior[0]!.message).toMatch(/no org CA/);
    const plain = await startNode(kc, undefined, {
      peers: [{ host: HOST, port: (await startNode(newKey(), undefined)).port }],
    });
    await waitFor(() => plain.up.length === 1, "a self-signed link");
  });
});
