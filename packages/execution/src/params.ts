/**
 * Transaction-level gas constants of the Prague rules Charter executes (EIP-2028, EIP-2930, EIP-3529, EIP-3860,
 * EIP-7623). They are fixed by the hardfork, so they are constants rather than configuration.
 */
export const GAS = {
  txBase: 21_000n,
  txCreate: 32_000n,
  txDataZero: 4n,
  txDataNonZero: 16n,
  accessListAddress: 2_400n,
  accessListStorageKey: 1_900n,
  initCodeWord: 2n,
  /** EIP-7623 calldata floor: 10 gas per token, a token being a zero byte or a quarter of a non-zero byte. */
  floorPerToken: 10n,
  /** EIP-3529: refunds are capped at a fifth of the gas used. */
  refundQuotient: 5n,
} as const;

/** EIP-3860: the largest init code a creation may carry. */
export const INIT_CODE_BYTES_MAX = 49_152;

export const HARDFORK = "prague";
