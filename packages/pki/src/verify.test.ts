import { webcrypto } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "./certificateInfo.js";
import {
  type CertificateAuthority,
  type CreatedAuthority,
  createOrgCA,
  createRootCA,
  issueAdminCertificate,
  issueNodeCertificate,
} from "./issue.js";
import { pemToDer } from "./pem.js";
import { checkCertificatePolicy, createInMemoryCertificatePolicy } from "./policy.js";
import { DAY_MS } from "./profile.js";
import { verifyCertificateChain } from "./verify.js";
import { x509 } from "./x509.js";

const ADDRESS = "0x00000000000000000000000000000000000000aa";
const NOW = Date.UTC(2030, 5, 1);
const der = (pem: string) => pemToDer(pem)[0]!;

let root: CreatedAuthority;
let org: CreatedAuthority;

beforeAll(async () => {
  root = await createRootCA({ name: "Consortium root", now: NOW });
  org = await createOrgCA({ root, org: "org0", now: NOW });
});

/**
 * Signs an arbitrary certificate with a CA's key, for the profile violations the issuing functions refuse to make.
 */
async function craft(options: {
  issuer: CertificateAuthority;
  subject: x509.JsonName;
  extensions: x509.Extension[];
  curve?: "P-256" | "P-384";
  notBefore?: number;
  notAfter?: number;
}): Promise<Uint8Array> {
  const issuer = new x509.X509Certificate(der(options.issuer.certificatePem));
  const signingKey = await webcrypto.subtle.importKey(
    "pkcs8",
    pemToDer(options.issuer.keyPem, "PRIVATE KEY")[0]!,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const keys = await webcrypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: options.curve ?? "P-256" },
    true,
    ["sign", "verify"],
  );
  const certificate = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: issuer.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    notBefore: new Date(options.notBefore ?? NOW - DAY_MS),
    notAfter: new Date(options.notAfter ?? NOW + DAY_MS),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: options.extensions,
  });
  return new Uint8Array(certificate.rawData);
}

const leafExtensions = (overrides: { uri?: string[]; usage?: number; eku?: string[]; ca?: boolean } = {}) => [
  new x509.BasicConstraintsExtension(overrides.ca ?? false, undefined, true),
  new x509.KeyUsagesExtension(overrides.usage ?? x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension(overrides.eku ?? ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]),
  new x509.SubjectAlternativeNameExtension(
    (overrides.uri ?? [`charter:node:${ADDRESS}`]).map((value) => ({ type: "url" as const, value })),
  ),
];

function expectRule(options: Parameters<typeof verifyCertificateChain>[0], code: string, message?: RegExp) {
  let caught: unknown;
  try {
    verifyCertificateChain(options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toMatchObject({ name: "PKIError", code });
  if (message) expect((caught as Error).message).toMatch(message);
}

describe("verifyCertificateChain", () => {
  it("returns the identity of a valid node chain", async () => {
    const node = await issueNodeCertificate({ orgCA: org, name: "node0", address: ADDRESS, now: NOW });
    const identity = verifyCertificateChain({
      leaf: der(node.certificatePem),
      orgCA: der(org.certificatePem),
      root: der(root.certificatePem),
      now: NOW,
      role: "node",
    });
    expect(identity).toMatchObject({
      role: "node",
      address: ADDRESS,
      org: "org0",
      name: "node0",
      serial: node.info.serial,
      fingerprint: node.info.fingerprint,
      notAfter: node.info.notAfter,
      orgCA: { fingerprint: org.info.fingerprint },
      root: { fingerprint: root.info.fingerprint },
    });
  });

  it("checks validity at the given time, for the leaf and for each CA", async () => {
    const node = await issueNodeCertificate({
      orgCA: org,
      name: "n",
      address: ADDRESS,
      now: NOW,
      validityDays: 10,
    });
    const chain = {
      leaf: der(node.certificatePem),
      orgCA: der(org.certificatePem),
      root: der(root.certificatePem),
    };
    expect(verifyCertificateChain({ ...chain, now: NOW + 9 * DAY_MS }).address).toBe(ADDRESS);
    expectRule({ ...chain, now: NOW + 11 * DAY_MS }, "expired", /node certificate "CN=n, O=org0" expired/);
    expectRule({ ...chain, now: NOW - 2 * DAY_MS }, "not-yet-valid", /root CA/);
    expectRule({ ...chain, now: NOW + 5000 * DAY_MS }, "expired", /root CA/);
  });

  it("refuses a chain from another root, whether the name differs or only the key", async () => {
    const node = await issueNodeCertificate({ orgCA: org, name: "n", address: ADDRESS, now: NOW });
    const otherName = await createRootCA({ name: "Other root", now: NOW });
    const sameName = await createRootCA({ name: "Consortium root", now: NOW });
    const leaf = der(node.certificatePem);
    const orgCA = der(org.certificatePem);
    expectRule(
      { leaf, orgCA, root: der(otherName.certificatePem), now: NOW },
      "wrong-issuer",
      /consortium root/,
    );
    expectRule({ leaf, orgCA, root: der(sameName.certificatePem), now: NOW }, "bad-signature");
    // A node certificate of another organization presented with this org's CA.
    const org1 = await createOrgCA({ root, org: "org1", now: NOW });
    expectRule(
      { leaf, orgCA: der(org1.certificatePem), root: der(root.certificatePem), now: NOW },
      "wrong-issuer",
    );
  });

  it("refuses a forged certificate as invalid even when it is also expired", async () => {
    const impostorRoot = await createRootCA({ name: "Consortium root", now: NOW - 400 * DAY_MS });
    const impostorOrg = await createOrgCA({ root: impostorRoot, org: "org0", now: NOW - 400 * DAY_MS });
    const node = await issueNodeCertificate({
      orgCA: impostorOrg,
      name: "n",
      address: ADDRESS,
      now: NOW - 400 * DAY_MS,
    });
    expectRule(
      {
        leaf: der(node.certificatePem),
        orgCA: der(impostorOrg.certificatePem),
        root: der(root.certificatePem),
        now: NOW,
      },
      "bad-signature",
    );
  });

  it("checks CA flags, path length, key usages, organization, identity and algorithm", async () => {
    const orgCA = der(org.certificatePem);
    const rootDer = der(root.certificatePem);
    const subject = [{ CN: ["n"] }, { O: ["org0"] }];
    const check = async (
      extensions: x509.Extension[],
      code: string,
      extra: { subject?: x509.JsonName; curve?: "P-384"; role?: "node" | "admin" } = {},
    ) => {
      const leaf = await craft({
        issuer: org,
        subject: extra.subject ?? subject,
        extensions,
        ...(extra.curve ? { curve: extra.curve } : {}),
      });
      expectRule({ leaf, orgCA, root: rootDer, now: NOW, ...(extra.role ? { role: extra.role } : {}) }, code);
    };
    await check(leafExtensions({ ca: true }), "basic-constraints");
    await check(leafExtensions({ usage: x509.KeyUsageFlags.keyEncipherment }), "key-usage");
    await check(leafExtensions({ eku: ["1.3.6.1.5.5.7.3.2"] }), "key-usage"); // a node needs serverAuth too
    await check(leafExtensions(), "org-mismatch", { subject: [{ CN: ["n"] }, { O: ["org9"] }] });
    await check(leafExtensions({ uri: [] }), "identity");
    await check(leafExtensions({ uri: ["charter:node:0x1234"] }), "identity");
    await check(leafExtensions({ uri: [`charter:node:${ADDRESS}`, `charter:admin:${ADDRESS}`] }), "identity");
    await check(leafExtensions(), "identity", { role: "admin" });
    await check(leafExtensions(), "algorithm", { curve: "P-384" });
    await check(
      [...leafExtensions(), new x509.Extension("1.2.3.4.5", true, new Uint8Array([5, 0]))],
      "malformed",
    );

    // The org CA's own profile: a CA, allowed to sign, and issued under a root that allows a CA below it.
    const leafFor = async (issuer: CertificateAuthority) =>
      craft({ issuer, subject, extensions: leafExtensions() });
    const notCA = await craft({
      issuer: root,
      subject: [{ CN: ["org0 CA"] }, { O: ["org0"] }],
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    expectRule({ leaf: await leafFor(org), orgCA: notCA, root: rootDer, now: NOW }, "basic-constraints");
    const noCertSign = await createCA(root, [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ]);
    expectRule(
      { leaf: await leafFor(noCertSign), orgCA: der(noCertSign.certificatePem), root: rootDer, now: NOW },
      "key-usage",
    );
    const tightRoot = await createSelfSignedRoot(0);
    const underTight = await createCA(tightRoot, [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ]);
    expectRule(
      {
        leaf: await leafFor(underTight),
        orgCA: der(underTight.certificatePem),
        root: der(tightRoot.certificatePem),
        now: NOW,
      },
      "path-length",
    );
    // Leaf and org CA swapped.
    expectRule({ leaf: orgCA, orgCA: await leafFor(org), root: rootDer, now: NOW }, "wrong-issuer");
    expectRule({ leaf: new Uint8Array([1, 2, 3]), orgCA, root: rootDer, now: NOW }, "malformed");
  });

  it("accepts an admin chain and enforces a required role", async () => {
    const admin = await issueAdminCertificate({ orgCA: org, name: "admin", address: ADDRESS, now: NOW });
    const chain = {
      leaf: der(admin.certificatePem),
      orgCA: der(org.certificatePem),
      root: der(root.certificatePem),
      now: NOW,
    };
    expect(verifyCertificateChain({ ...chain, role: "admin" }).role).toBe("admin");
    expectRule({ ...chain, role: "node" }, "identity", /admin certificate; a node certificate is required/);
  });
});

describe("certificate policy", () => {
  it("refuses revoked leaves and org CAs (by fingerprint or serial) and unknown organizations", async () => {
    const node = await issueNodeCertificate({ orgCA: org, name: "n", address: ADDRESS, now: NOW });
    const identity = verifyCertificateChain({
      leaf: der(node.certificatePem),
      orgCA: der(org.certificatePem),
      root: der(root.certificatePem),
      now: NOW,
    });
    const policy = createInMemoryCertificatePolicy({ orgs: ["org0"] });
    expect(() => checkCertificatePolicy(identity, policy)).not.toThrow();
    policy.removeOrg("org0");
    expect(() => checkCertificatePolicy(identity, policy)).toThrow(
      expect.objectContaining({ code: "unknown-org" }),
    );
    policy.addOrg("org0");
    policy.revoke(identity.serial.toUpperCase().replace("0X", "0x"));
    expect(() => checkCertificatePolicy(identity, policy)).toThrow(
      expect.objectContaining({ code: "revoked" }),
    );

    const byFingerprint = createInMemoryCertificatePolicy({ revoked: [identity.fingerprint] });
    expect(() => checkCertificatePolicy(identity, byFingerprint)).toThrow(/revoked/);
    const caRevoked = createInMemoryCertificatePolicy({ revoked: [org.info.fingerprint] });
    expect(() => checkCertificatePolicy(identity, caRevoked)).toThrow(/CA of organization "org0"/);
    const open = createInMemoryCertificatePolicy();
    expect(open.isKnownOrg("anything", "0x")).toBe(true);
    open.removeOrg("anything");
    expect(open.isKnownOrg("anything", "0x")).toBe(false);
    expect(parseCertificate(der(node.certificatePem)).fingerprint).toBe(identity.fingerprint);
  });
});

async function createCA(
  issuer: CertificateAuthority,
  extensions: x509.Extension[],
): Promise<CertificateAuthority> {
  const issuerCertificate = new x509.X509Certificate(der(issuer.certificatePem));
  const signingKey = await webcrypto.subtle.importKey(
    "pkcs8",
    pemToDer(issuer.keyPem, "PRIVATE KEY")[0]!,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const certificate = await x509.X509CertificateGenerator.create({
    subject: [{ CN: ["org0 CA"] }, { O: ["org0"] }],
    issuer: issuerCertificate.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    notBefore: new Date(NOW - DAY_MS),
    notAfter: new Date(NOW + DAY_MS),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions,
  });
  return {
    certificatePem: certificate.toString("pem"),
    keyPem: x509.PemConverter.encode(
      await webcrypto.subtle.exportKey("pkcs8", keys.privateKey),
      "PRIVATE KEY",
    ),
  };
}

async function createSelfSignedRoot(pathLength: number): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: ["Tight root"] }],
    keys,
    notBefore: new Date(NOW - DAY_MS),
    notAfter: new Date(NOW + DAY_MS),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(true, pathLength, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  return {
    certificatePem: certificate.toString("pem"),
    keyPem: x509.PemConverter.encode(
      await webcrypto.subtle.exportKey("pkcs8", keys.privateKey),
      "PRIVATE KEY",
    ),
  };
}
