import { readFileSync } from "node:fs";
import { bytesToHex, hexToBytes, isHexData, utf8ToBytes } from "@charter/utils";
import { z } from "zod";
import { ConfigError } from "./errors.js";

/** Largest accepted genesis file: a genesis is shared among members and should stay small and readable. */
export const GENESIS_BYTES_MAX = 16 * 1024 * 1024;

const hexData = z.string().refine(isHexData, "must be 0x-prefixed hex with an even number of digits");
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte address in 0x-prefixed hex")
  .transform((s) => s.toLowerCase());
/** Non-negative integers as JSON numbers, decimal strings or 0x-hex strings (balances exceed 2^53). */
const bigUint = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, "must be a non-negative integer"),
  ])
  .transform((v) => BigInt(v));

/** An organization id: what `OrgRegistry` stores left-aligned in a bytes32 (docs/spec/governance.md). */
const orgId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/,
    "must be 1 to 31 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit",
  );
const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes in 0x-prefixed hex")
  .transform((s) => s.toLowerCase());

export const GenesisValidatorSchema = z.strictObject({
  /** Human label, shown in logs and the devnet banner. */
  name: z.string().min(1).max(64).optional(),
  address,
  /** The validator's consensus public key (uncompressed, suite-specific). */
  publicKey: hexData,
  weight: z.number().int().positive().max(1_000_000).default(1),
  /** The validator's organization, one of `governance.organizations` (needs a governance section). */
  org: orgId.optional(),
});

/** The limits below are the system contracts' (`@charter/governance` constants; genesis.test.ts compares). */
const PolicySchema = z
  .strictObject({
    /** `open`: anyone; `allowlist`: only the allowlist; `denylist`: anyone but the denylist. */
    mode: z.enum(["open", "allowlist", "denylist"]).default("open"),
    allowlist: z.array(address).max(4096).default([]),
    denylist: z.array(address).max(4096).default([]),
  })
  .prefault({});

/**
 * The genesis governance (docs/spec/governance.md section 2): organizations, the committee and its thresholds,
 * and the deploy and transact policies; each validator names its organization in its `org`. Without this
 * section the chain derives one organization per validator (`org0`, `org1`, …) and a committee of the
 * validators' addresses with weight 1.
 */
export const GenesisGovernanceSchema = z.strictObject({
  organizations: z
    .array(
      z.strictObject({
        id: orgId,
        name: z
          .string()
          .min(1)
          .refine((n) => utf8ToBytes(n).length <= 64, "must be at most 64 bytes of UTF-8"),
        /** SHA-256 of the organization's CA certificate (DER). */
        caFingerprint: bytes32.optional(),
      }),
    )
    .min(1)
    .max(256),
  committee: z
    .array(z.strictObject({ address, weight: z.number().int().min(1).max(1_000_000).default(1) }))
    .min(1)
    .max(256),
  /** Share of the committee's total weight that must vote, in basis points. */
  participationBps: z.number().int().min(1).max(10_000).default(6667),
  /** Share of the committee's total weight that must approve, in basis points: more than half. */
  approvalBps: z.number().int().min(5001).max(10_000).default(5001),
  deploy: PolicySchema,
  transact: PolicySchema,
});

export const GenesisAccountSchema = z.strictObject({
  balance: bigUint.prefault("0"),
  nonce: bigUint.optional(),
  code: hexData.optional(),
  storage: z
    .record(z.string().regex(/^0x[0-9a-fA-F]{64}$/, "storage keys are 32-byte hex"), hexData)
    .optional(),
});

export const GenesisSchema = z
  .strictObject({
    /** EIP-155 chain id; avoid 1, 1337 and 31337, which wallets associate with other chains. */
    chainId: z
      .number()
      .int()
      .positive()
      .max(2 ** 48),
    crypto: z.enum(["ecdsa", "sm"]).default("ecdsa"),
    /** Genesis time, milliseconds since the Unix epoch. */
    timestampMs: z.number().int().nonnegative(),
    // Defaults of quantities are given as input (strings), so that the JSON Schema can show them.
    gasLimit: bigUint
      .refine(
        (v) => v >= 1_000_000n,
        "must be at least 1000000, so that a committee vote always fits in a block",
      )
      .prefault("100000000"),
    /** Target time between blocks; blocks are cut earlier when a full block is waiting. */
    blockIntervalMs: z.number().int().min(50).max(60_000).default(1000),
    validators: z.array(GenesisValidatorSchema).min(1).max(256),
    alloc: z.record(address, GenesisAccountSchema).default({}),
    extraData: hexData.refine((s) => s.length <= 66, "extraData is at most 32 bytes").default("0x"),
    governance: GenesisGovernanceSchema.optional(),
  })
  .superRefine((genesis, ctx) => {
    const { governance } = genesis;
    if (governance === undefined) {
      for (const [index, validator] of genesis.validators.entries())
        if (validator.org !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["validators", index, "org"],
            message:
              "names an organization, but the genesis has no governance section that lists organizations",
          });
      return;
    }
    const orgs = new Set<string>();
    for (const [index, org] of governance.organizations.entries()) {
      if (orgs.has(org.id))
        ctx.addIssue({
          code: "custom",
          path: ["governance", "organizations", index, "id"],
          message: `"${org.id}" is listed twice`,
        });
      orgs.add(org.id);
    }
    for (const [index, validator] of genesis.validators.entries()) {
      if (validator.org === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["validators", index, "org"],
          message: "is required with a governance section: name the validator's organization",
        });
      else if (!orgs.has(validator.org))
        ctx.addIssue({
          code: "custom",
          path: ["validators", index, "org"],
          message: `"${validator.org}" is not in governance.organizations`,
        });
    }
    const members = new Set<string>();
    for (const [index, member] of governance.committee.entries()) {
      if (members.has(member.address))
        ctx.addIssue({
          code: "custom",
          path: ["governance", "committee", index, "address"],
          message: `${member.address} is listed twice`,
        });
      members.add(member.address);
    }
  });

export type GenesisInput = z.input<typeof GenesisSchema>;
export type Genesis = z.output<typeof GenesisSchema>;

/** The genesis schema as JSON Schema. */
export function genesisJSONSchema(): Record<string, unknown> {
  return z.toJSONSchema(GenesisSchema, { io: "input" }) as Record<string, unknown>;
}

/** Parses and validates a genesis document; errors name the offending field. */
export function parseGenesis(value: unknown, source = "genesis"): Genesis {
  const result = GenesisSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError("invalid", `${source} is invalid:\n${formatIssues(result.error)}`);
  }
  return result.data;
}

export function loadGenesis(path: string): Genesis {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError("not-found", `cannot read the genesis file ${path}: ${(error as Error).message}`);
  }
  if (text.length > GENESIS_BYTES_MAX) {
    throw new ConfigError("invalid", `genesis file ${path} is larger than ${GENESIS_BYTES_MAX} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("parse", `genesis file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseGenesis(json, `genesis file ${path}`);
}

/** The JSON form written by `charter init`: stable key order, quantities as decimal strings. */
export function genesisToJSON(genesis: Genesis): string {
  const alloc: Record<string, unknown> = {};
  for (const [addr, account] of Object.entries(genesis.alloc)) {
    alloc[addr] = {
      balance: account.balance.toString(),
      ...(account.nonce === undefined ? {} : { nonce: account.nonce.toString() }),
      ...(account.code === undefined ? {} : { code: account.code }),
      ...(account.storage === undefined ? {} : { storage: account.storage }),
    };
  }
  return `${JSON.stringify(
    {
      chainId: genesis.chainId,
      crypto: genesis.crypto,
      timestampMs: genesis.timestampMs,
      gasLimit: genesis.gasLimit.toString(),
      blockIntervalMs: genesis.blockIntervalMs,
      validators: genesis.validators,
      alloc,
      extraData: genesis.extraData,
      ...(genesis.governance === undefined ? {} : { governance: genesis.governance }),
    },
    null,
    2,
  )}\n`;
}

/** Genesis allocations as execution takes them. */
export function genesisAlloc(
  genesis: Genesis,
): Map<string, { balance: bigint; nonce?: bigint; code?: Uint8Array; storage?: Map<string, Uint8Array> }> {
  const out = new Map<
    string,
    { balance: bigint; nonce?: bigint; code?: Uint8Array; storage?: Map<string, Uint8Array> }
  >();
  for (const [addr, account] of Object.entries(genesis.alloc)) {
    const storage = new Map<string, Uint8Array>();
    for (const [slot, value] of Object.entries(account.storage ?? {})) {
      const bytes = hexToBytes(value);
      if (bytes.length > 32)
        throw new ConfigError("invalid", `genesis storage value at ${addr} ${slot} exceeds 32 bytes`);
      const word = new Uint8Array(32);
      word.set(bytes, 32 - bytes.length);
      storage.set(bytesToHex(hexToBytes(slot)), word);
    }
    out.set(addr, {
      balance: account.balance,
      ...(account.nonce === undefined ? {} : { nonce: account.nonce }),
      ...(account.code === undefined ? {} : { code: hexToBytes(account.code) }),
      ...(storage.size ? { storage } : {}),
    });
  }
  return out;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  - ${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("\n");
}
