/** Ethereum JSON "quantity" and "data" encodings: hex, no leading zeros for quantities, `0x0` for zero. */

export function toQuantity(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

const QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;

export function isQuantity(value: unknown): value is string {
  return typeof value === "string" && QUANTITY_RE.test(value) && value.length <= 66;
}
