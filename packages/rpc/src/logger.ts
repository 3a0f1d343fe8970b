/**
 * The logging the RPC server does: structured fields first, then the message, so that a pino logger can be passed
 * as is. The default discards everything (the node passes its own logger).
 */
export interface RPCLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: RPCLogger = {
  debug: () => {},
  warn: () => {},
  error: () => {},
};
