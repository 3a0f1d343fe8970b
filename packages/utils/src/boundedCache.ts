/**
 * A bounded map with two-generation eviction, cheaper than exact LRU: reads hit `young` or promote from `old`;
 * when `young` holds `entriesMax / 2` entries it becomes `old` and the previous `old` is dropped. At most
 * `entriesMax` entries are held, and everything used since the last rotation survives the next one.
 */
export class BoundedCache<V> {
  readonly #generationMax: number;
  #young = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(entriesMax: number) {
    this.#generationMax = Math.max(1, Math.floor(entriesMax / 2));
  }

  get(key: string): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.#young.size >= this.#generationMax && !this.#young.has(key)) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  delete(key: string): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }
}

/** Latin-1 string of bytes, one char per byte: the cheapest `Map` key for a hash or an address. */
export function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
