import {
  type ExpiringCertificate,
  type ExpiryThresholdDays,
  type ExpiryWarning,
  expiryWarnings,
} from "@charter/pki";
import type { Clock } from "@charter/utils";
import type { Logger } from "./logger.js";

/** How often a running node checks its own certificates (and its peers' again). */
export const CERTIFICATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export interface CertificateExpiryMonitorOptions {
  readonly certificates: readonly ExpiringCertificate[];
  readonly checkIntervalMs?: number;
}

export interface CertificateExpiryMonitorModules {
  readonly clock: Clock;
  readonly logger: Pick<Logger, "warn" | "error">;
  /** Runs after every periodic check; the node re-checks its peers' certificates there. */
  readonly onCheck?: () => void;
}

/**
 * Watches the node's own certificates: at start and every hour (on the injected clock) it logs a warning the first
 * time each certificate reaches the 30-, 7- and 1-day thresholds, and an error once it has expired. Between
 * thresholds it stays quiet, so the log holds one line per step, not one per hour. The seconds left feed the
 * `charter_certificate_expiry_seconds` gauge.
 */
export class CertificateExpiryMonitor {
  readonly #certificates: readonly ExpiringCertificate[];
  readonly #intervalMs: number;
  readonly #modules: CertificateExpiryMonitorModules;
  /** The last threshold logged per certificate label. */
  readonly #logged = new Map<string, ExpiryThresholdDays>();
  #cancel: (() => void) | undefined;

  constructor(options: CertificateExpiryMonitorOptions, modules: CertificateExpiryMonitorModules) {
    this.#certificates = options.certificates;
    this.#intervalMs = options.checkIntervalMs ?? CERTIFICATE_CHECK_INTERVAL_MS;
    this.#modules = modules;
  }

  /** Checks now, then every interval until `stop`. */
  start(): void {
    this.check();
    this.#schedule();
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** Logs the thresholds newly reached and returns every warning in force. */
  check(): ExpiryWarning[] {
    const warnings = expiryWarnings(this.#certificates, this.#modules.clock.now());
    for (const warning of warnings) {
      const previous = this.#logged.get(warning.label);
      if (previous !== undefined && previous <= warning.thresholdDays) continue;
      this.#logged.set(warning.label, warning.thresholdDays);
      const fields = {
        cert: warning.label,
        notAfter: warning.notAfter.toISOString(),
        secondsLeft: warning.secondsLeft,
        thresholdDays: warning.thresholdDays,
      };
      if (warning.thresholdDays === 0) this.#modules.logger.error(fields, warning.message);
      else this.#modules.logger.warn(fields, warning.message);
    }
    return warnings;
  }

  /** Seconds until each certificate's notAfter (negative once expired), at the clock's current time. */
  secondsLeft(): { readonly label: string; readonly seconds: number }[] {
    const now = this.#modules.clock.now();
    return this.#certificates.map((c) => ({
      label: c.label,
      seconds: Math.floor((c.notAfter.getTime() - now) / 1000),
    }));
  }

  #schedule(): void {
    this.#cancel = this.#modules.clock.setTimer(this.#intervalMs, () => {
      this.check();
      this.#modules.onCheck?.();
      this.#schedule();
    });
  }
}
