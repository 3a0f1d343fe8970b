import { type Logger, pino } from "pino";

export type { Logger };

/** Structured JSON logs on stderr, so stdout stays free for data a script reads. */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({ level: options.level, ...(options.name ? { name: options.name } : {}) }, pino.destination(2));
}
