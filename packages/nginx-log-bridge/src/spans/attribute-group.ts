import type { AttributeValue } from '@opentelemetry/api';

/**
 * A run of attributes that many spans carry with the same values (the layer, the method, the
 * upstream and its Kubernetes names, the pod address of an attempt…), built once and shared: the
 * object path pushes its entries, the direct encoder copies its bytes, encoded on first use.
 */
export class AttributeGroup {
  /** The direct encoder's bytes of these attributes (span field 9 each), once it has written them. */
  encoded: Uint8Array | undefined;

  /** @param entries - names at even indexes, each followed by its value */
  constructor(readonly entries: readonly (string | AttributeValue)[]) {}
}

interface Slot {
  readonly key: readonly unknown[];
  readonly group: AttributeGroup;
}

/**
 * Attribute groups found by the values they were made from: `key` is filled by the caller (its
 * first item picks a short list, the rest are compared with `===`), then {@link find} or
 * {@link add}. Bounded: at most `perHead` groups per first item and `heads` first items.
 */
export class AttributeGroupCache {
  /** The values of the group looked for; the caller fills every item before {@link find}. */
  readonly key: unknown[];
  private readonly byHead = new Map<unknown, Slot[]>();

  constructor(
    readonly arity: number,
    private readonly perHead = 16,
    private readonly heads = 1024,
  ) {
    this.key = new Array<unknown>(arity).fill(undefined);
  }

  /** The group made from the values now in {@link key}, if any; a found group moves to the front. */
  find(): AttributeGroup | undefined {
    const key = this.key;
    const slots = this.byHead.get(key[0]);
    if (slots === undefined) return undefined;
    const n = this.arity;
    for (let s = 0; s < slots.length; s++) {
      const k = slots[s].key;
      let i = 1;
      while (i < n && k[i] === key[i]) i++;
      if (i === n) {
        const slot = slots[s];
        if (s > 0) {
          slots[s] = slots[s - 1];
          slots[s - 1] = slot;
        }
        return slot.group;
      }
    }
    return undefined;
  }

  /** Remembers `entries` as the group of the values now in {@link key}; returns it. */
  add(entries: readonly (string | AttributeValue)[]): AttributeGroup {
    const group = new AttributeGroup(entries);
    const head = this.key[0];
    let slots = this.byHead.get(head);
    if (slots === undefined) {
      if (this.byHead.size >= this.heads) this.byHead.clear();
      slots = [];
      this.byHead.set(head, slots);
    }
    if (slots.length >= this.perHead) slots.pop();
    slots.push({ key: this.key.slice(), group });
    return group;
  }
}
