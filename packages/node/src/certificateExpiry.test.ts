import { DAY_MS } from "@charter/pki";
import type { Clock } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { CERTIFICATE_CHECK_INTERVAL_MS, CertificateExpiryMonitor } from "./certificateExpiry.js";
import { NodeMetrics } from "./metrics.js";

/** Time moves only when the test says; due timers run in order. */
class ManualClock implements Clock {
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(public nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.nowMs + ms, fn, live: true };
    this.#timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.nowMs = due.at;
      due.fn();
    }
    this.nowMs = until;
  }
  pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}

function recordingLogger() {
  const lines: { level: "warn" | "error"; cert: string; thresholdDays: number; message: string }[] = [];
  const record =
    (level: "warn" | "error") => (fields: { cert: string; thresholdDays: number }, message: string) =>
      lines.push({ level, cert: fields.cert, thresholdDays: fields.thresholdDays, message });
  return { lines, logger: { warn: record("warn"), error: record("error") } as never };
}

const START = Date.UTC(2030, 0, 1);

describe("CertificateExpiryMonitor", () => {
  it("warns once per threshold as the hourly checks cross 30, 7 and 1 days, then reports expiry", () => {
    const clock = new ManualClock(START);
    const { lines, logger } = recordingLogger();
    let checks = 0;
    const monitor = new CertificateExpiryMonitor(
      {
        certificates: [
          { label: "node", notAfter: new Date(START + 31 * DAY_MS) },
          { label: "org", notAfter: new Date(START + 400 * DAY_MS) },
          { label: "root", notAfter: new Date(START + 3000 * DAY_MS) },
        ],
      },
      { clock, logger, onCheck: () => checks++ },
    );
    monitor.start();
    expect(lines).toEqual([]); // 31 days left: nothing yet
    clock.advance(DAY_MS);
    expect(checks).toBe(24);
    expect(lines.map((l) => [l.level, l.cert, l.thresholdDays])).toEqual([["warn", "node", 30]]);
    clock.advance(23 * DAY_MS); // 7 days left
    expect(lines.map((l) => l.thresholdDays)).toEqual([30, 7]);
    clock.advance(6 * DAY_MS - CERTIFICATE_CHECK_INTERVAL_MS); // 1 day and 1 hour left: still the 7-day step
    expect(lines).toHaveLength(2);
    clock.advance(CERTIFICATE_CHECK_INTERVAL_MS);
    expect(lines.map((l) => l.thresholdDays)).toEqual([30, 7, 1]);
    expect(lines[2]!.message).toMatch(/node certificate expires in 1 day .*1-day warning/);
    clock.advance(DAY_MS + CERTIFICATE_CHECK_INTERVAL_MS);
    expect(lines.map((l) => [l.level, l.thresholdDays])).toEqual([
      ["warn", 30],
      ["warn", 7],
      ["warn", 1],
      ["error", 0],
    ]);
    expect(monitor.secondsLeft()[0]!.seconds).toBeLessThan(0);
    monitor.stop();
    expect(clock.pending()).toBe(0);
  });

  it("warns at start when a threshold is already reached, and feeds the expiry gauge", async () => {
    const clock = new ManualClock(START);
    const { lines, logger } = recordingLogger();
    const monitor = new CertificateExpiryMonitor(
      {
        certificates: [
          { label: "node", notAfter: new Date(START + 5 * DAY_MS) },
          { label: "org", notAfter: new Date(START + 20 * DAY_MS) },
          { label: "root", notAfter: new Date(START + 3000 * DAY_MS) },
        ],
      },
      { clock, logger },
    );
    monitor.start();
    expect(lines.map((l) => [l.cert, l.thresholdDays])).toEqual([
      ["node", 7],
      ["org", 30],
    ]);
    const metrics = new NodeMetrics();
    const before = await metrics.registry.metrics();
    expect(before).not.toMatch(/^charter_certificate_expiry_seconds\{/m);
    metrics.observeCertificates(() => monitor.secondsLeft());
    clock.advance(3600_000);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`charter_certificate_expiry_seconds{cert="node"} ${5 * 86_400 - 3600}`);
    expect(text).toContain(`charter_certificate_expiry_seconds{cert="org"} ${20 * 86_400 - 3600}`);
    expect(text).toContain(`charter_certificate_expiry_seconds{cert="root"} ${3000 * 86_400 - 3600}`);
    monitor.stop();
  });
});
