/**
 * A binary min-heap ordered by `before`. When `moved` is given it is told every item's new index, so that a
 * caller can later reorder or remove a known item in O(log n) with `update` or `removeAt`.
 *
 * @example
 * const heap = new Heap<number>((a, b) => a < b);
 * heap.push(3); heap.push(1);
 * heap.pop(); // 1
 */
export class Heap<T> {
  readonly #items: T[];
  readonly #before: (a: T, b: T) => boolean;
  readonly #moved: ((item: T, index: number) => void) | undefined;

  constructor(
    before: (a: T, b: T) => boolean,
    options: { moved?: (item: T, index: number) => void; items?: T[] } = {},
  ) {
    this.#before = before;
    this.#moved = options.moved;
    // Taking the caller's array avoids a copy of up to one entry per sender on every block proposal.
    this.#items = options.items ?? [];
    for (let i = 0; i < this.#items.length; i++) this.#moved?.(this.#items[i]!, i);
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  at(index: number): T | undefined {
    return this.#items[index];
  }

  push(item: T): void {
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes the item at `index` (as reported to `moved`). */
  removeAt(index: number): void {
    const last = this.#items.pop()!;
    if (index === this.#items.length) return;
    this.#items[index] = last;
    this.#moved?.(last, index);
    this.update(index);
  }

  /** Restores the order after the item at `index` changed its key. */
  update(index: number): void {
    if (!this.#up(index)) this.#down(index);
  }

  /** Returns true if the item moved. */
  #up(index: number): boolean {
    const items = this.#items;
    const item = items[index]!;
    const start = index;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const p = items[parent]!;
      if (!this.#before(item, p)) break;
      items[index] = p;
      this.#moved?.(p, index);
      index = parent;
    }
    items[index] = item;
    this.#moved?.(item, index);
    return index !== start;
  }

  #down(index: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#before(items[right]!, items[left]!) ? right : left;
      const c = items[child]!;
      if (!this.#before(c, item)) break;
      items[index] = c;
      this.#moved?.(c, index);
      index = child;
    }
    items[index] = item;
    this.#moved?.(item, index);
  }
}
