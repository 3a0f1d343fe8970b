import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "./certificateInfo.js";
import { createOrgCA, createRootCA, issueAdminCertificate, issueNodeCertificate } from "./issue.js";
import { pemToDer } from "./pem.js";
import { DAY_MS, NOT_BEFORE_BACKDATE_MS } from "./profile.js";
import { x509 } from "./x509.js";

const ADDRESS = "0x5c5a7b2e0d3e6f1a9b8c7d6e5f4a3b2c1d0e9f8a";
const NOW = Date.UTC(2030, 0, 1);

describe("issuing the consortium's certificates", () => {
  it("builds root, org CA, node and admin certificates with the profile's extensions", async () => {
    const root = await createRootCA({ name: "Test consortium root CA", now: NOW });
    const org = await createOrgCA({ root, org: "org0", now: NOW });
    const node = await issueNodeCertificate({
      orgCA: org,
      name: "node0",
      address: ADDRESS.toUpperCase().replace("0X", "0x"),
      now: NOW,
    });
    const admin = await issueAdminCertificate({ orgCA: org, name: "admin", address: ADDRESS, now: NOW });

    expect(root.info).toMatchObject({
      subject: "CN=Test consortium root CA",
      role: "root",
      isCA: true,
      pathLength: 1,
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      selfIssued: true,
    });
    expect(root.info.notBefore.getTime()).toBe(NOW - NOT_BEFORE_BACKDATE_MS);
    expect(root.info.notAfter.getTime()).toBe(NOW + 3650 * DAY_MS);

    expect(org.info).toMatchObject({
      subject: "CN=org0 CA, O=org0",
      issuer: "CN=Test consortium root CA",
      role: "org",
      organization: "org0",
      isCA: true,
      pathLength: 0,
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    });
    expect(org.info.notAfter.getTime()).toBe(NOW + 1825 * DAY_MS);

    expect(node.info).toMatchObject({
      subject: "CN=node0, O=org0",
      issuer: "CN=org0 CA, O=org0",
      role: "node",
      address: ADDRESS,
      isCA: false,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      extendedKeyUsage: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
      uris: [`charter:node:${ADDRESS}`],
    });
    expect(node.info.notAfter.getTime()).toBe(NOW + 365 * DAY_MS);
    expect(admin.info).toMatchObject({
      role: "admin",
      extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
      uris: [`charter:admin:${ADDRESS}`],
    });

    // Node's own parser (OpenSSL) reads the same: P-256 keys, the SAN, the chain of signatures.
    const [leaf, ca] = pemToDer(node.chainPem).map((der) => new X509Certificate(der));
    expect(pemToDer(node.chainPem)).toHaveLength(2);
    expect(leaf!.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(leaf!.subjectAltName).toBe(`URI:charter:node:${ADDRESS}`);
    expect(leaf!.verify(ca!.publicKey)).toBe(true);
    expect(ca!.verify(new X509Certificate(root.certificatePem).publicKey)).toBe(true);
    expect(ca!.ca).toBe(true);
    expect(leaf!.ca).toBe(false);
    expect(node.info.serial).toMatch(/^0x[4-7][0-9a-f]{31}$/);
    expect(node.info.fingerprint).toBe(`0x${leaf!.fingerprint256.replaceAll(":", "").toLowerCase()}`);
  });

  it("makes chains that OpenSSL's own verifier accepts in a TLS handshake", async () => {
    const root = await createRootCA({ name: "Root" });
    const org = await createOrgCA({ root, org: "acme" });
    const server = await issueNodeCertificate({ orgCA: org, name: "server", address: ADDRESS });
    const client = await issueNodeCertificate({ orgCA: org, name: "client", address: ADDRESS });
    const listener = tls.createServer({
      key: server.keyPem,
      cert: server.chainPem,
      ca: root.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const serverSaw = new Promise<boolean>((resolve) =>
      listener.on("secureConnection", (socket) => {
        resolve(socket.authorized);
        socket.end();
      }),
    );
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      key: client.keyPem,
      cert: client.chainPem,
      ca: root.certificatePem,
      rejectUnauthorized: true,
      checkServerIdentity: () => undefined,
    });
    const clientAuthorized = await new Promise<boolean>((resolve, reject) => {
      socket.once("secureConnect", () => resolve(socket.authorized));
      socket.once("error", reject);
    });
    socket.on("error", () => {});
    expect(clientAuthorized).toBe(true);
    expect(await serverSaw).toBe(true);
    socket.destroy();
    await new Promise((resolve) => listener.close(resolve));
  });

  it("never lets a certificate outlive its issuer, and refuses to issue from an expired CA", async () => {
    const root = await createRootCA({ name: "Short root", validityDays: 10, now: NOW });
    const org = await createOrgCA({ root, org: "org0", now: NOW });
    expect(org.info.notAfter.getTime()).toBe(root.info.notAfter.getTime());
    await expect(
      issueNodeCertificate({ orgCA: org, name: "late", address: ADDRESS, now: NOW + 11 * DAY_MS }),
    ).rejects.toMatchObject({ code: "expired" });
  });

  it("refuses bad names, addresses, validity and mismatched keys with clear errors", async () => {
    await expect(createRootCA({ name: "CN=evil,O=x" })).rejects.toMatchObject({ code: "invalid-argument" });
    await expect(createRootCA({ name: "Root", validityDays: 0 })).rejects.toMatchObject({
      code: "invalid-argument",
    });
    const root = await createRootCA({ name: "Root" });
    const other = await createRootCA({ name: "Other" });
    await expect(createOrgCA({ root, org: "has space" })).rejects.toMatchObject({ code: "invalid-argument" });
    await expect(
      createOrgCA({ root: { certificatePem: root.certificatePem, keyPem: other.keyPem }, org: "org0" }),
    ).rejects.toThrow(/does not belong/);
    const org = await createOrgCA({ root, org: "org0" });
    await expect(issueNodeCertificate({ orgCA: org, name: "n", address: "0x1234" })).rejects.toMatchObject({
      code: "invalid-argument",
    });
    // A root is not an org CA: leaves are issued by org CAs only.
    await expect(issueNodeCertificate({ orgCA: root, name: "n", address: ADDRESS })).rejects.toMatchObject({
      code: "basic-constraints",
    });
    const node = await issueNodeCertificate({ orgCA: org, name: "n", address: ADDRESS });
    await expect(
      issueNodeCertificate({
        orgCA: { certificatePem: node.certificatePem, keyPem: node.keyPem },
        name: "x",
        address: ADDRESS,
      }),
    ).rejects.toMatchObject({ code: "basic-constraints" });
    expect(parseCertificate(pemToDer(node.certificatePem)[0]!).role).toBe("node");
  });
});
