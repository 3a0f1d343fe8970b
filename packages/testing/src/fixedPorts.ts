import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The fixed ports `charter devnet` binds: RPC, metrics and p2p of its four nodes. */
export const DEVNET_PORTS = [
  8545, 8546, 8547, 8548, 9545, 9546, 9547, 9548, 30300, 30301, 30302, 30303,
] as const;

const LOCK_FILE = join(tmpdir(), "charter-test-fixed-ports.lock");

/**
 * Takes the machine-wide lock on the fixed devnet ports, so that tests which must use them (only the `charter devnet`
 * test; everything else uses ephemeral ports) never run at the same time, even from parallel vitest workers. Waits at
 * most `timeoutMs`; a lock left by a dead process is taken over. Then checks that the ports are actually free, and
 * fails with a clear message if something else (a developer's own devnet) holds them.
 *
 * @returns a function that releases the lock.
 */
export async function lockFixedPorts(timeoutMs = 180_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx");
      writeFileSync(fd, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!isAlive(readOwner())) {
        rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the fixed-ports lock ${LOCK_FILE}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const release = () => {
    if (readOwner() === process.pid) rmSync(LOCK_FILE, { force: true });
  };
  try {
    for (const port of DEVNET_PORTS) await assertPortFree(port);
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

function readOwner(): number {
  try {
    return Number(readFileSync(LOCK_FILE, "utf8"));
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} on 127.0.0.1 is in use (${error.code}); stop the devnet or other server holding it before running this test`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
