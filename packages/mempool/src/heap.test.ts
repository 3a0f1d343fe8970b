import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Heap } from "./heap.js";

interface Item {
  key: number;
  index: number;
}

describe("Heap", () => {
  it("pops in order after any mix of push, pop, update and removeAt, and reports positions truly", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), key: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant("pop" as const) }),
      fc.record({
        kind: fc.constant("update" as const),
        pick: fc.nat(),
        key: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 })),
        fc.array(op, { maxLength: 80 }),
        (initial, ops) => {
          const live = initial.map((key) => ({ key, index: -1 }));
          const heap = new Heap<Item>((a, b) => a.key < b.key, {
            moved: (item, index) => {
              item.index = index;
            },
            items: [...live],
          });
          const drop = (item: Item) => live.splice(live.indexOf(item), 1);
          for (const o of ops) {
            if (o.kind === "push") {
              const item = { key: o.key, index: -1 };
              live.push(item);
              heap.push(item);
            } else if (o.kind === "pop") {
              const top = heap.pop();
              expect(top?.key).toBe(live.length === 0 ? undefined : Math.min(...live.map((i) => i.key)));
              if (top !== undefined) drop(top);
            } else if (live.length > 0) {
              const item = live[o.pick % live.length]!;
              expect(heap.at(item.index)).toBe(item);
              if (o.kind === "update") {
                item.key = o.key;
                heap.update(item.index);
              } else {
                heap.removeAt(item.index);
                drop(item);
              }
            }
            expect(heap.size).toBe(live.length);
            for (const item of live) expect(heap.at(item.index)).toBe(item);
          }
          const keys: number[] = [];
          for (let top = heap.pop(); top !== undefined; top = heap.pop()) keys.push(top.key);
          expect(keys).toEqual(live.map((i) => i.key).sort((a, b) => a - b));
        },
      ),
    );
  });
});
