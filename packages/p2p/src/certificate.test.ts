import { createPrivateKey, X509Certificate } from "node:crypto";
import { bytesToHex } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { certificateFingerprint, createTLSIdentity } from "./certificate.js";
import {
  derBitString,
  derExplicit,
  derObjectIdentifier,
  derSequence,
  derTime,
  derTlv,
  derUnsignedInteger,
  derUtf8String,
} from "./der.js";

const hex = (bytes: Uint8Array) => bytesToHex(bytes).slice(2);

describe("DER writer", () => {
  it("encodes short and long lengths (X.690 §8.1.3)", () => {
    expect(hex(derTlv(0x04, new Uint8Array(3)))).toBe("0403000000");
    expect(hex(derTlv(0x04, new Uint8Array(0x7f))).slice(0, 4)).toBe("047f");
    expect(hex(derTlv(0x04, new Uint8Array(0x80))).slice(0, 6)).toBe("048180");
    expect(hex(derTlv(0x04, new Uint8Array(0x1234))).slice(0, 8)).toBe("04821234");
  });

  it("encodes integers minimally with a sign byte when the high bit is set", () => {
    expect(hex(derUnsignedInteger(Uint8Array.of(2)))).toBe("020102");
    expect(hex(derUnsignedInteger(Uint8Array.of(0x80)))).toBe("02020080");
    expect(hex(derUnsignedInteger(Uint8Array.of(0, 0, 0x7f)))).toBe("02017f");
    expect(hex(derUnsignedInteger(Uint8Array.of(0)))).toBe("020100");
  });

  it("encodes object identifiers (published encodings)", () => {
    expect(hex(derObjectIdentifier("1.3.101.112"))).toBe("06032b6570"); // Ed25519, RFC 8410
    expect(hex(derObjectIdentifier("2.5.4.3"))).toBe("0603550403"); // commonName
    expect(hex(derObjectIdentifier("1.2.840.113549.1.1.11"))).toBe("06092a864886f70d01010b"); // sha256WithRSA
  });

  it("encodes times as UTCTime before 2050 and GeneralizedTime after", () => {
    expect(new TextDecoder().decode(derTime(new Date(Date.UTC(2000, 0, 1))).subarray(2))).toBe(
      "000101000000Z",
    );
    expect(derTime(new Date(Date.UTC(2000, 0, 1)))[0]).toBe(0x17);
    const late = derTime(new Date(Date.UTC(9999, 11, 31, 23, 59, 59)));
    expect(late[0]).toBe(0x18);
    expect(new TextDecoder().decode(late.subarray(2))).toBe("99991231235959Z");
  });

  it("encodes strings, bit strings and explicit tags", () => {
    expect(hex(derUtf8String("ab"))).toBe("0c026162");
    expect(hex(derBitString(Uint8Array.of(0xff)))).toBe("030200ff");
    expect(hex(derExplicit(0, derUnsignedInteger(Uint8Array.of(2))))).toBe("a003020102");
    expect(hex(derSequence(derUtf8String("a"), derUtf8String("b")))).toBe("30060c01610c0162");
  });
});

describe("createTLSIdentity", () => {
  it("builds a self-signed Ed25519 v3 certificate that Node parses and verifies", () => {
    const identity = createTLSIdentity();
    const certificate = new X509Certificate(identity.certificateDer);
    expect(certificate.subject).toBe("CN=charter-p2p");
    expect(certificate.issuer).toBe("CN=charter-p2p");
    expect(certificate.publicKey.asymmetricKeyType).toBe("ed25519");
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(identity.keyPem))).toBe(true);
    expect(new X509Certificate(identity.certificatePem).fingerprint256).toBe(certificate.fingerprint256);
    expect(hex(identity.fingerprint)).toBe(certificate.fingerprint256.replaceAll(":", "").toLowerCase());
    expect(identity.fingerprint).toEqual(certificateFingerprint(identity.certificateDer));
  });

  it("gives every identity a fresh key and serial", () => {
    const a = new X509Certificate(createTLSIdentity().certificateDer);
    const b = new X509Certificate(createTLSIdentity().certificateDer);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });
});
