import { describe, expect, it } from "vitest";
import { EXPIRY_WARNING_DAYS, expiryThreshold, expiryWarnings } from "./expiry.js";
import { DAY_MS } from "./profile.js";

const NOW = Date.UTC(2030, 0, 1);
const at = (days: number) => new Date(NOW + days * DAY_MS);

describe("expiry warnings", () => {
  it("reports the smallest of the 30/7/1-day thresholds reached, and expiry", () => {
    expect(EXPIRY_WARNING_DAYS).toEqual([30, 7, 1]);
    expect(expiryThreshold(at(31), NOW)).toBeUndefined();
    expect(expiryThreshold(at(30), NOW)).toBe(30);
    expect(expiryThreshold(at(7.5), NOW)).toBe(30);
    expect(expiryThreshold(at(7), NOW)).toBe(7);
    expect(expiryThreshold(at(1.01), NOW)).toBe(7);
    expect(expiryThreshold(at(1), NOW)).toBe(1);
    expect(expiryThreshold(at(0), NOW)).toBe(1);
    expect(expiryThreshold(at(-0.001), NOW)).toBe(0);
  });

  it("returns one warning per certificate at a threshold, with seconds left and a sentence", () => {
    const warnings = expiryWarnings(
      [
        { label: "root", notAfter: at(3000) },
        { label: "org", notAfter: at(20) },
        { label: "node", notAfter: at(6.5) },
        { label: "admin", notAfter: at(-2) },
      ],
      new Date(NOW),
    );
    expect(warnings.map((w) => [w.label, w.thresholdDays, w.secondsLeft])).toEqual([
      ["org", 30, 20 * 86_400],
      ["node", 7, 6.5 * 86_400],
      ["admin", 0, -2 * 86_400],
    ]);
    expect(warnings[1]!.message).toMatch(/node certificate expires in 6 days .*7-day warning/);
    expect(warnings[2]!.message).toMatch(/admin certificate expired on/);
    expect(
      expiryWarnings([{ label: "node", notAfter: new Date(NOW + 3 * 3_600_000) }], NOW)[0]!.message,
    ).toMatch(/in 3 hours/);
  });
});
