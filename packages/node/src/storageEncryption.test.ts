import { randomFillSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNodeConfig, type ResolvedNodeConfig } from "@charter/config";
import { createEcdsaSuite } from "@charter/crypto";
import { KvError, openKv, writeEncryptionKeyFile } from "@charter/kv";
import { createTestNetwork } from "@charter/testing";
import { signTx, TxType } from "@charter/types";
import { bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import { afterAll, describe, expect, it } from "vitest";
import { startNode } from "./node.js";
import { loadStorageKey, planStorageEncryption } from "./storageEncryption.js";

const work = mkdtempSync(join(tmpdir(), "charter-storage-encryption-"));
const networks: string[] = [];
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  for (const dir of networks) rmSync(dir, { recursive: true, force: true });
});

const KEY_HEX = `${"c0ffee".repeat(10)}abcd`;

describe("storage encryption plan", () => {
  const plan = (suite: "ecdsa" | "sm", encryption: object, hook?: () => Promise<Uint8Array>) =>
    planStorageEncryption({ suite, encryption, encryptionKey: hook, configDir: "/etc/charter" });
  const hook = async () => new Uint8Array(32);

  it("is off for ecdsa chains and required for sm chains unless configured otherwise", () => {
    expect(plan("ecdsa", {})).toEqual({ encrypt: false });
    expect(() => plan("sm", {})).toThrow(/this is an sm chain.*set storage\.encryption\.keyFile/);
    expect(plan("sm", { enabled: false })).toEqual({ encrypt: false });
    expect(plan("ecdsa", { enabled: false })).toEqual({ encrypt: false });
  });

  it("turns on with any one key source, and refuses enabled: true without one", () => {
    for (const suite of ["ecdsa", "sm"] as const) {
      expect(plan(suite, { keyFile: "/k" })).toEqual({ encrypt: true, source: { kind: "file", path: "/k" } });
      expect(plan(suite, { enabled: true, keyCommand: "cat k" })).toEqual({
        encrypt: true,
        source: { kind: "command", command: "cat k", cwd: "/etc/charter" },
      });
      expect(plan(suite, {}, hook)).toMatchObject({ encrypt: true, source: { kind: "hook" } });
      expect(() => plan(suite, { enabled: true })).toThrow(/enabled is true but no key is configured/);
    }
  });

  it("refuses two key sources, and a key source with enabled: false", () => {
    expect(() => plan("ecdsa", { keyFile: "/k" }, hook)).toThrow(/more than one source/);
    expect(() => plan("ecdsa", { keyFile: "/k", keyCommand: "cat k" })).toThrow(/more than one source/);
    expect(() => plan("sm", { enabled: false }, hook)).toThrow(/enabled is false but a key source/);
  });
});

describe("storage key sources", () => {
  it("runs the key command in the config directory and reads the key from stdout", async () => {
    writeFileSync(join(work, "vault.txt"), `0x${KEY_HEX}\n`);
    const key = await loadStorageKey({ kind: "command", command: "cat vault.txt", cwd: work });
    expect(bytesToHex(key)).toBe(`0x${KEY_HEX}`);
  });

  it("reports a failing command with its status and stderr, hiding anything that looks like a key", async () => {
    const error = await loadStorageKey({
      kind: "command",
      command: `echo "vault: token expired (last key ${KEY_HEX})" >&2; exit 3`,
      cwd: work,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain("storage.encryption.keyCommand exited with status 3");
    expect(error?.message).toContain("vault: token expired (last key [redacted])");
    expect(error?.message).not.toContain(KEY_HEX.slice(0, 16));
  });

  it("kills a command that does not finish in time, with the processes it started", async () => {
    const pidFile = join(work, "sleeper.pid");
    const started = Date.now();
    const error = await loadStorageKey({
      kind: "command",
      command: `sleep 30 & echo $! > ${pidFile}; wait`,
      cwd: work,
      timeoutMs: 300,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(
      "storage.encryption.keyCommand did not finish within 0.3 s and was killed",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    const sleeper = Number(readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isRunning(sleeper)).toBe(false);
  });

  it("refuses output that is not a key without repeating it", async () => {
    const error = await loadStorageKey({
      kind: "command",
      command: `echo ${KEY_HEX.slice(0, 60)}`,
      cwd: work,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain("The output of storage.encryption.keyCommand must hold a 32-byte key");
    expect(error?.message).not.toContain(KEY_HEX.slice(0, 16));
  });

  it("checks and copies what the encryptionKey hook returns", async () => {
    const own = new Uint8Array(32).fill(9);
    const key = await loadStorageKey({ kind: "hook", load: async () => own });
    expect(key).toEqual(own);
    key.fill(0);
    expect(own[0]).toBe(9);
    await expect(loadStorageKey({ kind: "hook", load: async () => new Uint8Array(16) })).rejects.toThrow(
      /must resolve to 32 bytes, got 16 bytes/,
    );
    await expect(
      loadStorageKey({
        kind: "hook",
        load: async () => {
          throw new Error("HSM offline");
        },
      }),
    ).rejects.toThrow(/encryptionKey module failed.*HSM offline/);
  });
});

/** Whether `pid` is a live process; a zombie (killed, not yet reaped by whoever inherited it) is not. */
function isRunning(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

const suite = createEcdsaSuite();

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** The files under `dir` that hold `marker`, as raw bytes or as hex text. */
function filesHolding(dir: string, marker: Uint8Array): string[] {
  const raw = Buffer.from(marker);
  const hex = Buffer.from(bytesToHex(marker).slice(2));
  return filesUnder(dir).filter((file) => {
    const bytes = readFileSync(file);
    return (
      bytes.includes(raw) || bytes.includes(hex) || bytes.includes(Buffer.from(hex.toString().toUpperCase()))
    );
  });
}

/** Every raw record of a data directory's store, read without decryption. */
async function rawRecords(config: ResolvedNodeConfig): Promise<string[]> {
  const kv = await openKv(`${config.dataDir}/db`, { engine: config.storage.engine });
  try {
    const out: string[] = [];
    for await (const [key, value] of kv.iterate({})) out.push(`${bytesToHex(key)}=${bytesToHex(value)}`);
    return out;
  } finally {
    await kv.close();
  }
}

async function rpc(url: string, method: string, params: readonly unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (answer.error) throw new Error(`${method} failed: ${answer.error.message}`);
  return answer.result;
}

/**
 * Creation code whose deployed code is `0x00 ‖ marker`: the marker reaches the block (calldata) and the state
 * (contract code). `PUSH1 33 DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN`, then the code to deploy.
 */
function deployingCode(marker: Uint8Array): Uint8Array {
  return concatBytes(hexToBytes("0x602180600b6000396000f3"), Uint8Array.of(0x00), marker);
}

async function waitForReceipt(
  url: string,
  hash: unknown,
): Promise<{ status: string; contractAddress: string }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const receipt = (await rpc(url, "eth_getTransactionReceipt", [hash])) as {
      status: string;
      contractAddress: string;
    } | null;
    if (receipt !== null) return receipt;
    if (Date.now() > deadline) throw new Error("the transaction was not committed in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Run {
  readonly config: ResolvedNodeConfig;
  readonly head: { readonly number: string; readonly hash: string };
  readonly code: string;
}

/**
 * Starts a fresh single-validator network's node (with `flags` on top of its config), deploys a contract whose
 * creation code and deployed code hold `marker`, and stops the node.
 */
async function runWithMarker(marker: Uint8Array, flags: Record<string, unknown>): Promise<Run> {
  const { layout, chainId } = await createTestNetwork({ blockIntervalMs: 100 });
  networks.push(layout.dir);
  const config = loadNodeConfig({
    file: layout.nodes[0]!.configFile,
    flags: { rpcPort: 0, metricsPort: 0, logLevel: "error", ...flags },
  });
  const node = await startNode(config);
  try {
    const url = `http://127.0.0.1:${node.rpcPort}`;
    const text = readFileSync(config.nodeKeyFile, "utf8").trim();
    const key = hexToBytes(text.startsWith("0x") ? text : `0x${text}`);
    const tx = signTx(
      {
        type: TxType.feeMarket,
        chainId: BigInt(chainId),
        nonce: 0n,
        gasPrice: 0n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        gasLimit: 200_000n,
        to: null,
        value: 0n,
        data: deployingCode(marker),
        accessList: [],
      },
      key,
      suite,
    );
    const hash = await rpc(url, "eth_sendRawTransaction", [bytesToHex(tx.raw)]);
    const receipt = await waitForReceipt(url, hash);
    expect(receipt.status).toBe("0x1");
    const code = (await rpc(url, "eth_getCode", [receipt.contractAddress, "latest"])) as string;
    expect(code).toBe(bytesToHex(concatBytes(Uint8Array.of(0), marker)));
    const head = (await rpc(url, "eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      hash: string;
    };
    return { config, head: { number: head.number, hash: head.hash }, code };
  } finally {
    await node.stop();
  }
}

describe("a node with encryption at rest", () => {
  it("without encryption, a transaction's bytes are on disk (the control for the scan below)", async () => {
    const marker = randomFillSync(new Uint8Array(32));
    const run = await runWithMarker(marker, {});
    expect(filesHolding(run.config.dataDir, marker).length).toBeGreaterThan(0);
  });

  it("keeps them off the disk, refuses a wrong key without changing the store, and restarts with the right key", async () => {
    const marker = randomFillSync(new Uint8Array(32));
    const keyFile = join(work, "node.storage.key");
    writeEncryptionKeyFile(keyFile);
    const run = await runWithMarker(marker, { storageEncryptionKeyFile: keyFile });
    const { config } = run;
    // Everything the node wrote under its data directory: the store's tables, logs, manifest and lock.
    expect(filesUnder(config.dataDir).length).toBeGreaterThan(2);
    expect(filesHolding(config.dataDir, marker)).toEqual([]);
    const before = await rawRecords(config);

    // No key: the plain path notices the encrypted store.
    const noKey = loadNodeConfig({
      file: config.file!,
      flags: { rpcPort: 0, metricsPort: 0, logLevel: "error" },
    });
    const refusedPlain = await startNode(noKey).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedPlain).toBeInstanceOf(KvError);
    expect((refusedPlain as KvError).code).toBe("encrypted-store");

    // The wrong key.
    const wrongKeyFile = join(work, "wrong.storage.key");
    writeEncryptionKeyFile(wrongKeyFile);
    const wrongKey = readFileSync(wrongKeyFile, "utf8").trim();
    const wrong = loadNodeConfig({
      file: config.file!,
      flags: { rpcPort: 0, metricsPort: 0, logLevel: "error", storageEncryptionKeyFile: wrongKeyFile },
    });
    const refused = await startNode(wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KvError);
    expect((refused as KvError).code).toBe("wrong-key");
    expect((refused as KvError).message).toContain(
      `The storage encryption key does not match the data directory ${config.dataDir}/db`,
    );
    expect((refused as KvError).message).toContain("No data was read");
    expect((refused as KvError).message).not.toContain(wrongKey.slice(0, 16));
    expect(await rawRecords(config)).toEqual(before);

    // The right key, through the environment this time: the chain is there.
    const right = loadNodeConfig({
      file: config.file!,
      env: { CHARTER_STORAGE_ENCRYPTION_KEY_FILE: keyFile },
      flags: { rpcPort: 0, metricsPort: 0, logLevel: "error" },
    });
    const node = await startNode(right);
    try {
      const url = `http://127.0.0.1:${node.rpcPort}`;
      const block = (await rpc(url, "eth_getBlockByNumber", [run.head.number, false])) as { hash: string };
      expect(block.hash).toBe(run.head.hash);
      expect(BigInt((await rpc(url, "eth_blockNumber")) as string)).toBeGreaterThanOrEqual(
        BigInt(run.head.number),
      );
    } finally {
      await node.stop();
    }
    expect(filesHolding(config.dataDir, marker)).toEqual([]);
  });

  it("takes the key from the encryptionKey module, and refuses it when it is not the store's", async () => {
    const { layout } = await createTestNetwork({ blockIntervalMs: 100 });
    networks.push(layout.dir);
    const config = loadNodeConfig({
      file: layout.nodes[0]!.configFile,
      flags: { rpcPort: 0, metricsPort: 0, logLevel: "error" },
    });
    const key = new Uint8Array(32).fill(0x5c);
    const node = await startNode(config, { encryptionKey: async () => key });
    const height = node.chain.head.block.header.height;
    await node.stop();
    const other = new Uint8Array(32).fill(0x5d);
    await expect(startNode(config, { encryptionKey: async () => other })).rejects.toMatchObject({
      code: "wrong-key",
    });
    const again = await startNode(config, { encryptionKey: async () => key });
    expect(again.chain.head.block.header.height).toBeGreaterThanOrEqual(height);
    await again.stop();
  });
});
