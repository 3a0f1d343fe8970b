import { InvalidArgumentError, Option } from "commander";

/** A commander argument parser for an integer flag within [min, max]. */
export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** Prints a command's result on stdout: one JSON line with `--json`, else the human text. */
export function out(json: boolean, data: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
}

/** `--crypto <suite>`: `ecdsa` (secp256k1, Keccak-256; the default) or `sm` (SM2, SM3, SM4). */
export function cryptoOption(note?: string): Option {
  return new Option(
    "--crypto <suite>",
    `crypto suite: ecdsa (secp256k1, Keccak-256) or sm (SM2, SM3, SM4)${note ? ` ${note}` : ""}`,
  )
    .choices(["ecdsa", "sm"])
    .default("ecdsa");
}
