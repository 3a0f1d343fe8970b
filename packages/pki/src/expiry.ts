import { DAY_MS } from "./profile.js";

/** Days before notAfter at which a certificate is warned about, largest first. */
export const EXPIRY_WARNING_DAYS = [30, 7, 1] as const;
export type ExpiryThresholdDays = (typeof EXPIRY_WARNING_DAYS)[number] | 0;

export interface ExpiringCertificate {
  /** What the certificate is, for messages and metric labels: "node", "org", "root", a file name. */
  readonly label: string;
  readonly notAfter: Date;
}

export interface ExpiryWarning {
  readonly label: string;
  readonly notAfter: Date;
  /** Whole seconds until notAfter; negative once expired. */
  readonly secondsLeft: number;
  /** The smallest threshold reached (30, 7 or 1 days), or 0 once the certificate has expired. */
  readonly thresholdDays: ExpiryThresholdDays;
  /** A full sentence for a log line or the console. */
  readonly message: string;
}

/**
 * The threshold a certificate has reached at `now`: 30, 7 or 1 when that few days or fewer are left (the smallest
 * that applies), 0 when it has expired, undefined when more than 30 days are left.
 */
export function expiryThreshold(notAfter: Date, now: Date | number): ExpiryThresholdDays | undefined {
  const left = notAfter.getTime() - (typeof now === "number" ? now : now.getTime());
  if (left < 0) return 0;
  let reached: ExpiryThresholdDays | undefined;
  for (const days of EXPIRY_WARNING_DAYS) if (left <= days * DAY_MS) reached = days;
  return reached;
}

/**
 * One warning per certificate that has reached a threshold (30/7/1 days, or expired), in input order.
 *
 * @example
 * expiryWarnings([{ label: "node", notAfter }], Date.now());
 * // [{ label: "node", thresholdDays: 7, secondsLeft: 518400, message: "The node certificate expires in 6 days …" }]
 */
export function expiryWarnings(
  certificates: readonly ExpiringCertificate[],
  now: Date | number,
): ExpiryWarning[] {
  const nowMs = typeof now === "number" ? now : now.getTime();
  const out: ExpiryWarning[] = [];
  for (const { label, notAfter } of certificates) {
    const thresholdDays = expiryThreshold(notAfter, nowMs);
    if (thresholdDays === undefined) continue;
    const secondsLeft = Math.floor((notAfter.getTime() - nowMs) / 1000);
    const when = notAfter.toISOString();
    const message =
      thresholdDays === 0
        ? `The ${label} certificate expired on ${when}; peers refuse it. Issue a new one (charter pki).`
        : `The ${label} certificate expires in ${describeLeft(secondsLeft)} (${when}); renew it before then (${thresholdDays}-day warning).`;
    out.push({ label, notAfter, secondsLeft, thresholdDays, message });
  }
  return out;
}

function describeLeft(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  if (days >= 1) return `${days} day${days === 1 ? "" : "s"}`;
  const hours = Math.floor(seconds / 3600);
  return hours >= 1 ? `${hours} hour${hours === 1 ? "" : "s"}` : "less than an hour";
}
