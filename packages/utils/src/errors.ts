/**
 * Base class for expected, typed failures. Each package declares its own code union in its `errors.ts`, and
 * messages are full sentences that say what went wrong and, where useful, what to do about it.
 */
export class CharterError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "CharterError";
  }
}

export function isCharterError(value: unknown): value is CharterError {
  return value instanceof CharterError;
}
