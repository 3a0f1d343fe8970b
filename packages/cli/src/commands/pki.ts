import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createEcdsaSuite } from "@charter/crypto";
import {
  type CertificateInfo,
  type CertificateSummary,
  createOrgCA,
  createRootCA,
  DAY_MS,
  expiryWarnings,
  type IssuedCertificate,
  isPKIError,
  issueAdminCertificate,
  issueNodeCertificate,
  normalizeAddress,
  PKIError,
  parseCertificate,
  pemToDer,
  readOrgCA,
  readPEMFile,
  readRootCA,
  VALIDITY_DAYS_DEFAULT,
  VALIDITY_DAYS_MAX,
  verifyCertificateChain,
  writeIssuedCertificate,
  writeOrgCA,
  writeRootCA,
} from "@charter/pki";
import { bytesToHex, hexToBytes, isHexData } from "@charter/utils";
import { type Command, Option } from "commander";
import { integer, out } from "../commandLine.js";

/**
 * `charter pki`: the consortium's certificates (docs/pki.md). A root CA signs one CA per organization; an org CA
 * signs its nodes' and admins' certificates, each bound to a chain address. Every file is PEM; keys are PKCS#8,
 * mode 600; nothing is overwritten.
 */
export function registerPKICommands(program: Command): void {
  const pki = program
    .command("pki")
    .description(
      "create and inspect the consortium's certificates: root CA, org CAs, node and admin certificates",
    );
  const days = (role: keyof typeof VALIDITY_DAYS_DEFAULT) =>
    new Option("--days <n>", "validity in days from now")
      .argParser(integer(1, VALIDITY_DAYS_MAX))
      .default(VALIDITY_DAYS_DEFAULT[role]);

  pki
    .command("init-root")
    .description(
      "create the consortium root CA (self-signed, CA path length 1): root.pem and root.key in --out",
    )
    .requiredOption("--out <dir>", "folder to write root.pem and root.key in")
    .requiredOption("--name <name>", 'the root\'s common name, e.g. "Acme consortium root CA"')
    .addOption(days("root"))
    .option("--json", "print the result as JSON", false)
    .action(async (opts: { out: string; name: string; days: number; json: boolean }) => {
      const root = await createRootCA({ name: opts.name, validityDays: opts.days });
      const files = writeRootCA(opts.out, root);
      report(opts.json, "root CA", root.info, { certificate: files.certificate, key: files.key });
    });

  pki
    .command("add-org")
    .description(
      "create an organization's CA, signed by the root: ca.pem, ca.key and a copy of root.pem in --out",
    )
    .requiredOption("--root <dir>", "folder holding root.pem and root.key")
    .requiredOption("--org <id>", "organization id (subject O of the CA and of every certificate it issues)")
    .requiredOption("--out <dir>", "folder to write the org CA in")
    .addOption(days("org"))
    .option("--json", "print the result as JSON", false)
    .action(async (opts: { root: string; org: string; out: string; days: number; json: boolean }) => {
      const root = readRootCA(opts.root);
      const orgCA = await createOrgCA({ root, org: opts.org, validityDays: opts.days });
      const files = writeOrgCA(opts.out, orgCA, root.certificatePem);
      noteClamped(orgCA.info, opts.days, "root CA");
      report(opts.json, "org CA", orgCA.info, {
        certificate: files.certificate,
        key: files.key,
        root: files.root,
      });
    });

  pki
    .command("issue-node")
    .description(
      "issue a node certificate bound to the node's chain key address: cert.pem, chain.pem, cert.key, root.pem in --out",
    )
    .requiredOption("--org-ca <dir>", "the org CA folder (ca.pem, ca.key, root.pem), as add-org wrote it")
    .requiredOption("--key <file>", "the node's key file (hex), whose address the certificate is bound to")
    .requiredOption("--name <name>", "the node's name (subject CN)")
    .requiredOption("--out <dir>", "folder to write the certificate in")
    .addOption(days("node"))
    .option("--json", "print the result as JSON", false)
    .action(
      async (opts: {
        orgCa: string;
        key: string;
        name: string;
        out: string;
        days: number;
        json: boolean;
      }) => {
        const orgCA = readOrgCA(opts.orgCa);
        const issued = await issueNodeCertificate({
          orgCA,
          name: opts.name,
          address: addressOfKeyFile(opts.key),
          validityDays: opts.days,
        });
        reportIssued(opts, "node certificate", issued, orgCA.rootCertificatePem);
      },
    );

  pki
    .command("issue-admin")
    .description(
      "issue an admin certificate bound to an account address (--key file or --address): cert.pem, chain.pem, cert.key",
    )
    .requiredOption("--org-ca <dir>", "the org CA folder (ca.pem, ca.key, root.pem), as add-org wrote it")
    .option("--key <file>", "the admin's account key file (hex); its address goes into the certificate")
    .option("--address <address>", "the admin's account address, when the key is kept elsewhere")
    .requiredOption("--name <name>", "the admin's name (subject CN)")
    .requiredOption("--out <dir>", "folder to write the certificate in")
    .addOption(days("admin"))
    .option("--json", "print the result as JSON", false)
    .action(
      async (opts: {
        orgCa: string;
        key?: string;
        address?: string;
        name: string;
        out: string;
        days: number;
        json: boolean;
      }) => {
        if ((opts.key === undefined) === (opts.address === undefined)) {
          throw new PKIError("invalid-argument", "Give exactly one of --key <file> and --address <address>.");
        }
        const orgCA = readOrgCA(opts.orgCa);
        const issued = await issueAdminCertificate({
          orgCA,
          name: opts.name,
          address: opts.key !== undefined ? addressOfKeyFile(opts.key) : normalizeAddress(opts.address!),
          validityDays: opts.days,
        });
        reportIssued(opts, "admin certificate", issued, orgCA.rootCertificatePem);
      },
    );

  pki
    .command("show")
    .description(
      "show every certificate in a PEM file: subject, issuer, role, address, org, serial, validity",
    )
    .argument("<cert.pem>", "a certificate or chain file")
    .option("--json", "print as JSON", false)
    .action((file: string, opts: { json: boolean }) => {
      const now = Date.now();
      const certificates = pemToDer(readPEMFile(file, "certificate file"), "CERTIFICATE", file).map(
        (der, i) => describe(parseCertificate(der, `certificate ${i + 1} of ${file}`), now),
      );
      warnExpiry(certificates, now);
      out(opts.json, { file: resolve(file), certificates }, certificates.map(describeText).join("\n\n"));
    });

  pki
    .command("verify")
    .description(
      "verify a node or admin certificate up to a root: signatures, CA flags, key usages, org, identity, validity",
    )
    .argument("<cert.pem>", "the certificate, or a chain file (certificate then org CA)")
    .requiredOption("--root <root.pem>", "the consortium root CA certificate to trust")
    .option("--org-ca <ca.pem>", "the org CA certificate (default: the second certificate of <cert.pem>)")
    .addOption(
      new Option("--role <role>", "require a node or an admin certificate").choices(["node", "admin"]),
    )
    .option("--at <time>", "verify at this time (ISO 8601) instead of now")
    .option("--json", "print the result as JSON", false)
    .action(
      (
        file: string,
        opts: { root: string; orgCa?: string; role?: "node" | "admin"; at?: string; json: boolean },
      ) => {
        const now = opts.at === undefined ? Date.now() : Date.parse(opts.at);
        if (Number.isNaN(now)) {
          throw new PKIError("invalid-argument", `--at "${opts.at}" is not an ISO 8601 time.`);
        }
        const chain = pemToDer(readPEMFile(file, "certificate file"), "CERTIFICATE", file);
        const orgCA =
          opts.orgCa === undefined
            ? chain[1]
            : pemToDer(readPEMFile(opts.orgCa, "org CA certificate"), "CERTIFICATE", opts.orgCa)[0];
        if (orgCA === undefined) {
          throw new PKIError(
            "file",
            `${file} holds one certificate; give its org CA with --org-ca, or verify the chain file (chain.pem).`,
          );
        }
        const root = pemToDer(readPEMFile(opts.root, "root CA certificate"), "CERTIFICATE", opts.root)[0]!;
        try {
          const identity = verifyCertificateChain({
            leaf: chain[0]!,
            orgCA,
            root,
            now,
            ...(opts.role ? { role: opts.role } : {}),
          });
          const daysLeft = Math.floor((identity.notAfter.getTime() - now) / DAY_MS);
          out(
            opts.json,
            {
              valid: true,
              role: identity.role,
              address: identity.address,
              org: identity.org,
              name: identity.name,
              serial: identity.serial,
              fingerprint: identity.fingerprint,
              notBefore: identity.notBefore.toISOString(),
              notAfter: identity.notAfter.toISOString(),
              daysLeft,
              orgCA: summaryJSON(identity.orgCA),
              root: summaryJSON(identity.root),
            },
            `valid: ${identity.role} certificate "${identity.name}" of organization ${identity.org}, bound to ${identity.address}, until ${identity.notAfter.toISOString()} (${daysLeft} days left)`,
          );
          for (const warning of expiryWarnings(
            [
              { label: identity.role, notAfter: identity.notAfter },
              { label: "org CA", notAfter: identity.orgCA.notAfter },
              { label: "root CA", notAfter: identity.root.notAfter },
            ],
            now,
          ))
            process.stderr.write(`warning: ${warning.message}\n`);
        } catch (error) {
          if (!isPKIError(error)) throw error;
          if (opts.json) out(true, { valid: false, code: error.code, message: error.message }, "");
          throw new PKIError(error.code, `${file} is not valid (${error.code}): ${error.message}`);
        }
      },
    );
}

function summaryJSON(summary: CertificateSummary): Record<string, string> {
  return {
    subject: summary.subject,
    serial: summary.serial,
    fingerprint: summary.fingerprint,
    notAfter: summary.notAfter.toISOString(),
  };
}

/** The address of a hex private key file (node key or account key), as certificates carry it. */
function addressOfKeyFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new PKIError("file", `Cannot read the key file ${file}: ${(error as Error).message}.`);
  }
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!isHexData(hex) || hex.length !== 66) {
    throw new PKIError(
      "file",
      `${file} does not hold a 32-byte private key in hex (as charter keys writes it).`,
    );
  }
  const suite = createEcdsaSuite();
  return bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(hexToBytes(hex))));
}

interface CertificateView {
  readonly subject: string;
  readonly issuer: string;
  readonly role: string | null;
  readonly address: string | null;
  readonly org: string | null;
  readonly serial: string;
  readonly fingerprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  readonly ca: boolean;
  readonly pathLength: number | null;
}

function describe(info: CertificateInfo, now: number): CertificateView {
  return {
    subject: info.subject,
    issuer: info.issuer,
    role: info.role ?? null,
    address: info.address ?? null,
    org: info.organization ?? null,
    serial: info.serial,
    fingerprint: info.fingerprint,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    daysLeft: Math.floor((info.notAfter.getTime() - now) / DAY_MS),
    ca: info.isCA,
    pathLength: info.pathLength ?? null,
  };
}

function describeText(view: CertificateView): string {
  const left = view.daysLeft < 0 ? "EXPIRED" : `${view.daysLeft} days left`;
  return [
    `subject:     ${view.subject}`,
    `issuer:      ${view.issuer}`,
    `role:        ${view.role ?? "unknown (not a Charter certificate)"}${view.ca ? ` (CA, path length ${view.pathLength ?? "unlimited"})` : ""}`,
    ...(view.address ? [`address:     ${view.address}`] : []),
    `org:         ${view.org ?? "-"}`,
    `serial:      ${view.serial}`,
    `fingerprint: ${view.fingerprint}`,
    `valid:       ${view.notBefore} to ${view.notAfter} (${left})`,
  ].join("\n");
}

function warnExpiry(views: readonly CertificateView[], now: number): void {
  const warnings = expiryWarnings(
    views.map((v) => ({ label: `${v.role ?? "unknown"} (${v.subject})`, notAfter: new Date(v.notAfter) })),
    now,
  );
  for (const warning of warnings) process.stderr.write(`warning: ${warning.message}\n`);
}

function report(json: boolean, what: string, info: CertificateInfo, files: Record<string, string>): void {
  out(
    json,
    {
      subject: info.subject,
      role: info.role ?? null,
      org: info.organization ?? null,
      address: info.address ?? null,
      serial: info.serial,
      fingerprint: info.fingerprint,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, resolve(v)])),
    },
    [
      `created ${what} "${info.subject}"${info.address ? ` bound to ${info.address}` : ""}`,
      ...Object.entries(files).map(([k, v]) => `  ${`${k}:`.padEnd(13)}${resolve(v)}`),
      `  serial:      ${info.serial}`,
      `  fingerprint: ${info.fingerprint}`,
      `  valid until: ${info.notAfter.toISOString()}`,
    ].join("\n"),
  );
}

function reportIssued(
  opts: { out: string; days: number; json: boolean },
  what: string,
  issued: IssuedCertificate,
  rootCertificatePem: string | undefined,
): void {
  const files = writeIssuedCertificate(opts.out, issued, rootCertificatePem);
  noteClamped(issued.info, opts.days, "org CA");
  report(opts.json, what, issued.info, {
    certificate: files.certificate,
    chain: files.chain,
    key: files.key,
    ...(files.root ? { root: files.root } : {}),
  });
}

/** Says on stderr when a certificate was cut short to end with its issuer (see `issue.ts`). */
function noteClamped(info: CertificateInfo, days: number, issuer: string): void {
  const askedEnd = info.notBefore.getTime() + days * DAY_MS;
  if (info.notAfter.getTime() < askedEnd - 2 * 60 * 60 * 1000) {
    process.stderr.write(
      `note: the certificate ends on ${info.notAfter.toISOString()}, when its ${issuer} does, not after ${days} days\n`,
    );
  }
}
