import { PKIError } from "./errors.js";

/** Largest PEM text read as a certificate file or chain: a chain of a few P-256 certificates is about 2 KiB. */
export const PEM_BYTES_MAX = 64 * 1024;
/** Most certificates read from one PEM file (leaf, org CA, root and some slack). */
export const PEM_CERTIFICATES_MAX = 8;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER of every `label` block of a PEM text, in order. */
export function pemToDer(pem: string, label = "CERTIFICATE", what = "the PEM text"): Uint8Array[] {
  if (pem.length > PEM_BYTES_MAX) {
    throw new PKIError("malformed", `${what} is ${pem.length} bytes; at most ${PEM_BYTES_MAX} are read.`);
  }
  const out: Uint8Array[] = [];
  for (const match of pem.matchAll(BLOCK)) {
    if (match[1] !== label) continue;
    const body = match[2]!.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length === 0) {
      throw new PKIError("malformed", `${what} holds a ${label} block that is not valid base64.`);
    }
    out.push(new Uint8Array(Buffer.from(body, "base64")));
    if (out.length > PEM_CERTIFICATES_MAX) {
      throw new PKIError("malformed", `${what} holds more than ${PEM_CERTIFICATES_MAX} ${label} blocks.`);
    }
  }
  if (out.length === 0) throw new PKIError("malformed", `${what} holds no ${label} block.`);
  return out;
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
