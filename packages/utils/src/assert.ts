/**
 * Thrown when an internal invariant is broken. The node must stop rather than continue and write corrupt state;
 * never catch this to carry on.
 */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Asserts an internal invariant. Kept on in production (reliability rule 7). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
