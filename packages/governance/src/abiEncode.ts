import { assert, bigintToFixedBytes, concatBytes, utf8ToBytes } from "@charter/utils";

/**
 * The ABI types the genesis needs to encode the system contracts' constructor arguments (Solidity ABI
 * specification, "Formal Specification of the Encoding"). `uint` is any `uintN` (the caller keeps values in
 * range); enums are `uint`. Kept small on purpose: the node needs no general ABI library.
 */
export type AbiType =
  | "uint"
  | "address"
  | "bytes32"
  | "bool"
  | "string"
  | "bytes"
  | { readonly array: AbiType }
  | { readonly tuple: readonly AbiType[] };

const WORD = 32;

function isDynamic(type: AbiType): boolean {
  if (type === "string" || type === "bytes") return true;
  if (typeof type === "string") return false;
  if ("array" in type) return true;
  return type.tuple.some(isDynamic);
}

/** Bytes a static type takes in the head of its enclosing tuple (a dynamic one takes one offset word). */
function headSize(type: AbiType): number {
  if (typeof type === "object" && "tuple" in type && !isDynamic(type))
    return type.tuple.reduce((sum, t) => sum + headSize(t), 0);
  return WORD;
}

function word(value: bigint): Uint8Array {
  assert(value >= 0n && value < 2n ** 256n, `ABI uint ${value} is out of range`);
  return bigintToFixedBytes(value, WORD);
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / WORD) * WORD);
  out.set(data);
  return out;
}

function encodeValue(type: AbiType, value: unknown): Uint8Array {
  switch (type) {
    case "uint":
      assert(
        typeof value === "bigint" || Number.isSafeInteger(value),
        "an ABI uint is a bigint or a safe integer",
      );
      return word(BigInt(value as bigint | number));
    case "bool":
      assert(typeof value === "boolean", "an ABI bool is a boolean");
      return word(value ? 1n : 0n);
    case "address": {
      assert(value instanceof Uint8Array && value.length === 20, "an ABI address is 20 bytes");
      const out = new Uint8Array(WORD);
      out.set(value, 12);
      return out;
    }
    case "bytes32":
      assert(value instanceof Uint8Array && value.length === WORD, "an ABI bytes32 is 32 bytes");
      return value;
    case "string":
    case "bytes": {
      const data = type === "string" ? utf8ToBytes(value as string) : (value as Uint8Array);
      assert(data instanceof Uint8Array, `an ABI ${type} is ${type === "string" ? "a string" : "bytes"}`);
      return concatBytes(word(BigInt(data.length)), padded(data));
    }
  }
  assert(Array.isArray(value), "an ABI array or tuple is an array");
  if ("array" in type)
    return concatBytes(
      word(BigInt(value.length)),
      encodeTuple(
        value.map(() => type.array),
        value,
      ),
    );
  return encodeTuple(type.tuple, value);
}

function encodeTuple(types: readonly AbiType[], values: readonly unknown[]): Uint8Array {
  assert(types.length === values.length, `ABI tuple of ${types.length} types given ${values.length} values`);
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = types.reduce((sum, t) => sum + headSize(t), 0);
  for (const [index, type] of types.entries()) {
    const encoded = encodeValue(type, values[index]);
    if (isDynamic(type)) {
      heads.push(word(BigInt(tailOffset)));
      tails.push(encoded);
      tailOffset += encoded.length;
    } else {
      heads.push(encoded);
    }
  }
  return concatBytes(...heads, ...tails);
}

/** `abi.encode(values…)` for `types`: what follows a contract's creation code as its constructor arguments. */
export function encodeAbiParameters(types: readonly AbiType[], values: readonly unknown[]): Uint8Array {
  return encodeTuple(types, values);
}
