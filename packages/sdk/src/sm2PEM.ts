import { sm2PublicKeyFromPrivateKey } from "@charter/crypto";
import { bytesToHex, type Hex } from "viem";
import {
  DERError,
  DERReader,
  DERTag,
  derEncode,
  derObjectIdentifier,
  derSmallInteger,
  objectIdentifierToString,
} from "./der.js";
import { CharterSDKError } from "./errors.js";
import { SM2_PRIVATE_KEY_BYTES, sm2PrivateKeyToBytes } from "./sm2PrivateKey.js";

/** The OID of the SM2 curve (sm2p256v1), GB/T 33560-2017: `1.2.156.10197.1.301`. */
export const SM2_CURVE_OID = "1.2.156.10197.1.301";
/** `id-ecPublicKey` (RFC 5480), the algorithm of every EC key in PKCS#8, SM2 included. */
const EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1";

/** Key files are a few hundred bytes; anything past this is not one, and is refused before it is parsed. */
export const SM2_PEM_CHARS_MAX = 64 * 1024;
const PEM_LINE_CHARS = 64;

/** The two layouts of an unencrypted EC private key file. */
export type SM2PrivateKeyPEMFormat =
  /** PKCS#8 (RFC 5208), `-----BEGIN PRIVATE KEY-----`: what `openssl genpkey` writes and most tools read. */
  | "pkcs8"
  /** SEC1 / RFC 5915 ECPrivateKey, `-----BEGIN EC PRIVATE KEY-----`: what `openssl ecparam -genkey` writes. */
  | "sec1";

export interface SM2PrivateKeyToPEMOptions {
  /** Default `"pkcs8"`. */
  readonly format?: SM2PrivateKeyPEMFormat;
}

const PKCS8_LABEL = "PRIVATE KEY";
const SEC1_LABEL = "EC PRIVATE KEY";
/** OpenSSL 3 writes SEC1 SM2 keys under this label (`openssl ec -in sm2.pem`). */
const SEC1_SM2_LABEL = "SM2 PRIVATE KEY";

/** Names of the OIDs a wrong key file is most likely to carry, for the error message. */
const KNOWN_OIDS: Readonly<Record<string, string>> = {
  "1.2.840.10045.3.1.7": "P-256 (prime256v1)",
  "1.3.132.0.10": "secp256k1",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.2.840.113549.1.1.1": "RSA",
  "1.3.101.110": "X25519",
  "1.3.101.112": "Ed25519",
};

/**
 * Writes an SM2 private key as an unencrypted PEM file: PKCS#8 (default) or SEC1. Both carry the curve OID
 * 1.2.156.10197.1.301 and the public key, byte for byte as OpenSSL 3 writes them, so `openssl pkey -in key.pem
 * -text -noout` and node:crypto's `createPrivateKey` read the result. Throws `CharterSDKError("invalid-private-key")`
 * for a malformed or out-of-range key.
 *
 * @example
 * writeFileSync("account.pem", sm2PrivateKeyToPEM(privateKey), { mode: 0o600 });
 */
export function sm2PrivateKeyToPEM(privateKey: Hex, options: SM2PrivateKeyToPEMOptions = {}): string {
  const format = options.format ?? "pkcs8";
  const d = sm2PrivateKeyToBytes(privateKey);
  const publicKey = sm2PublicKeyFromPrivateKey(d);
  const curve = derObjectIdentifier(SM2_CURVE_OID);
  // A BIT STRING starts with the number of unused bits in its last byte: none here.
  const publicKeyBits = derEncode(DERTag.bitString, Uint8Array.of(0), publicKey);
  if (format === "sec1") {
    const der = derEncode(
      DERTag.sequence,
      derSmallInteger(1),
      derEncode(DERTag.octetString, d),
      derEncode(DERTag.context0, curve),
      derEncode(DERTag.context1, publicKeyBits),
    );
    return toPEM(SEC1_LABEL, der);
  }
  if (format !== "pkcs8") {
    throw new CharterSDKError(
      "invalid-argument",
      `Unknown SM2 key file format ${JSON.stringify(format)}; use "pkcs8" or "sec1".`,
    );
  }
  // Inside PKCS#8 the curve is named by the AlgorithmIdentifier, so the ECPrivateKey leaves out [0] (RFC 5915).
  const ecPrivateKey = derEncode(
    DERTag.sequence,
    derSmallInteger(1),
    derEncode(DERTag.octetString, d),
    derEncode(DERTag.context1, publicKeyBits),
  );
  const der = derEncode(
    DERTag.sequence,
    derSmallInteger(0),
    derEncode(DERTag.sequence, derObjectIdentifier(EC_PUBLIC_KEY_OID), curve),
    derEncode(DERTag.octetString, ecPrivateKey),
  );
  return toPEM(PKCS8_LABEL, der);
}

/**
 * Reads the SM2 private key of an unencrypted PEM file and returns it as 0x-prefixed hex: PKCS#8
 * (`PRIVATE KEY`, algorithm id-ecPublicKey with the SM2 curve, or the SM2 OID itself as some GM/T tools write it)
 * or SEC1 (`EC PRIVATE KEY`, or `SM2 PRIVATE KEY` as OpenSSL 3 labels it). `EC PARAMETERS` blocks before the key
 * are skipped. When the file carries the public key it must match the private key. Throws
 * `CharterSDKError("invalid-private-key")` naming the problem: another curve or key type, an encrypted file,
 * malformed DER, an out-of-range key.
 *
 * @example
 * const account = privateKeyToSM2Account(sm2PrivateKeyFromPEM(readFileSync("account.pem", "utf8")));
 */
export function sm2PrivateKeyFromPEM(pem: string): Hex {
  if (typeof pem !== "string") {
    throw invalid(`sm2PrivateKeyFromPEM takes the PEM text as a string, not a value of type ${typeof pem}.`);
  }
  if (pem.length > SM2_PEM_CHARS_MAX) {
    throw invalid(
      `The PEM text is ${pem.length} characters; an SM2 key file is well under ${SM2_PEM_CHARS_MAX}. Is this the right file?`,
    );
  }
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  const labels = blocks.map((block) => block[1]!);
  const block = blocks.find((candidate) => [PKCS8_LABEL, SEC1_LABEL, SEC1_SM2_LABEL].includes(candidate[1]!));
  if (block === undefined) {
    if (labels.includes("ENCRYPTED PRIVATE KEY")) {
      throw invalid(
        "The PEM file holds an encrypted private key, which this function does not decrypt. Decrypt it first, " +
          "e.g. `openssl pkey -in encrypted.pem -out plain.pem`, and keep the plain file private.",
      );
    }
    throw invalid(
      labels.length === 0
        ? "No PEM block found: expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----."
        : `The PEM file holds ${labels.map((label) => `"${label}"`).join(", ")}, not an SM2 private key ` +
            "(PRIVATE KEY or EC PRIVATE KEY).",
    );
  }
  const [, label, body] = block as unknown as [string, string, string];
  if (/Proc-Type:\s*4,ENCRYPTED/.test(body)) {
    throw invalid(
      "The PEM key is encrypted (Proc-Type: 4,ENCRYPTED). Decrypt it first, e.g. `openssl ec -in encrypted.pem " +
        "-out plain.pem`, and keep the plain file private.",
    );
  }
  const der = base64ToBytes(body);
  try {
    const d = label === PKCS8_LABEL ? readPKCS8(der) : readECPrivateKey(der, "SEC1 ECPrivateKey", true);
    return bytesToHex(d);
  } catch (error) {
    if (error instanceof DERError) {
      throw invalid(`The ${label} block is not a well-formed key: ${error.message}.`, error);
    }
    throw error;
  }
}

/** PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958) holding an SM2 ECPrivateKey. */
function readPKCS8(der: Uint8Array): Uint8Array {
  const outer = new DERReader(der, "PKCS#8");
  const info = new DERReader(outer.read(DERTag.sequence, "PrivateKeyInfo").content, "PKCS#8 PrivateKeyInfo");
  outer.end();
  const version = info.read(DERTag.integer, "version").content;
  if (version.length !== 1 || version[0]! > 1) throw new DERError("PKCS#8: unknown version");
  const algorithm = new DERReader(
    info.read(DERTag.sequence, "privateKeyAlgorithm").content,
    "PKCS#8 privateKeyAlgorithm",
  );
  const algorithmOid = objectIdentifierToString(algorithm.read(DERTag.objectIdentifier, "algorithm").content);
  const parameter = algorithm.readOptional(DERTag.objectIdentifier, "curve");
  const curveOid = parameter === undefined ? undefined : objectIdentifierToString(parameter.content);
  // id-ecPublicKey names the curve in its parameter; some GM/T tools put the SM2 OID in the algorithm instead.
  const isSM2 =
    (algorithmOid === EC_PUBLIC_KEY_OID && curveOid === SM2_CURVE_OID) ||
    (algorithmOid === SM2_CURVE_OID && (curveOid === undefined || curveOid === SM2_CURVE_OID));
  if (!isSM2) {
    const what = algorithmOid === EC_PUBLIC_KEY_OID ? (curveOid ?? "an unnamed curve") : algorithmOid;
    throw invalid(`The PKCS#8 key is ${describeOid(what)}, not SM2 (curve OID ${SM2_CURVE_OID}).`);
  }
  const d = readECPrivateKey(
    info.read(DERTag.octetString, "privateKey").content,
    "PKCS#8 ECPrivateKey",
    false,
  );
  // Attributes [0] and, in version 2, the public key [1] IMPLICIT BIT STRING may follow; they add nothing here.
  info.readOptional(DERTag.context0, "attributes");
  info.readOptional(0x81, "publicKey");
  info.end();
  return d;
}

/**
 * An RFC 5915 ECPrivateKey. `standalone` is true for a SEC1 file, whose curve parameter (when present) must be SM2;
 * inside PKCS#8 the algorithm has named the curve already. The optional public key must match the private key.
 */
function readECPrivateKey(der: Uint8Array, label: string, standalone: boolean): Uint8Array {
  const outer = new DERReader(der, label);
  const key = new DERReader(outer.read(DERTag.sequence, "ECPrivateKey").content, label);
  outer.end();
  const version = key.read(DERTag.integer, "version").content;
  if (version.length !== 1 || version[0] !== 1) throw new DERError(`${label}: version is not 1`);
  const scalar = key.read(DERTag.octetString, "privateKey").content;
  if (scalar.length === 0 || scalar.length > SM2_PRIVATE_KEY_BYTES) {
    throw new DERError(`${label}: the private key is ${scalar.length} bytes, not ${SM2_PRIVATE_KEY_BYTES}`);
  }
  const parameters = key.readOptional(DERTag.context0, "parameters");
  if (parameters !== undefined) {
    const curve = new DERReader(parameters.content, `${label} parameters`);
    const oid =
      curve.peekTag() === DERTag.objectIdentifier ? curve.read(DERTag.objectIdentifier, "curve") : undefined;
    if (oid === undefined) {
      throw invalid(
        `The ${standalone ? "SEC1" : "PKCS#8"} key spells out explicit curve parameters; only the named SM2 curve ` +
          `(OID ${SM2_CURVE_OID}) is accepted.`,
      );
    }
    const curveOid = objectIdentifierToString(oid.content);
    if (curveOid !== SM2_CURVE_OID) {
      throw invalid(`The key is on ${describeOid(curveOid)}, not the SM2 curve (OID ${SM2_CURVE_OID}).`);
    }
  }
  // A SEC1 key without parameters does not name its curve. It is read as SM2, the curve the caller asked for; when
  // it carries its public key, the comparison below catches a key of another curve.
  const publicKeyField = key.readOptional(DERTag.context1, "publicKey");
  key.end();
  const d = new Uint8Array(SM2_PRIVATE_KEY_BYTES);
  d.set(scalar, SM2_PRIVATE_KEY_BYTES - scalar.length);
  // Range check (and the message for an out-of-range key) as for a hex key.
  sm2PrivateKeyToBytes(bytesToHex(d));
  if (publicKeyField !== undefined) {
    const bits = new DERReader(publicKeyField.content, `${label} publicKey`);
    const publicKey = bits.read(DERTag.bitString, "publicKey").content;
    bits.end();
    const expected = sm2PublicKeyFromPrivateKey(d);
    if (publicKey[0] !== 0 || bytesToHex(publicKey.subarray(1)) !== bytesToHex(expected)) {
      throw invalid(
        "The public key in the file does not belong to its private key: the file is corrupt, or it is a key of " +
          "another curve labelled as SM2.",
      );
    }
  }
  return d;
}

function describeOid(oid: string): string {
  const name = KNOWN_OIDS[oid];
  return name === undefined ? `OID ${oid}` : `${name} (OID ${oid})`;
}

function invalid(message: string, cause?: unknown): CharterSDKError {
  return new CharterSDKError("invalid-private-key", message, cause === undefined ? undefined : { cause });
}

function toPEM(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += PEM_LINE_CHARS) lines.push(base64.slice(i, i + PEM_LINE_CHARS));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function base64ToBytes(body: string): Uint8Array {
  const base64 = body.replace(/\s+/g, "");
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    throw invalid("The PEM block's body is not valid base64.");
  }
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
