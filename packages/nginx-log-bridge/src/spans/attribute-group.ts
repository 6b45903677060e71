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

/**
 * One kind of attribute group: its key (every value its attributes are made from), how keys are
 * compared and how the attributes are made from a key. The key type and these three functions are
 * written side by side, so the attributes can read nothing the key does not hold.
 */
export interface AttributeGroupKind<K> {
  /** The key value groups are listed by (compared with `===` as a map key). */
  head(key: K): unknown;
  /** True when two keys hold the same values: every field compared. */
  same(a: K, b: K): boolean;
  /** The group's attributes (names at even indexes, each followed by its value), from `key` alone. */
  entries(key: K): readonly (string | AttributeValue)[];
}

/** Groups kept per head value before the oldest is dropped. */
export const GROUPS_PER_HEAD = 16;
/** Head values kept before the whole cache starts over. */
export const MAX_HEADS = 1024;

interface Slot<K> {
  readonly key: K;
  readonly group: AttributeGroup;
}

/**
 * Attribute groups of one kind found by their key: the key's head picks a short list, whose keys
 * are compared in full. Bounded: at most `perHead` groups per head value and `heads` head values.
 */
export class AttributeGroupCache<K> {
  private readonly byHead = new Map<unknown, Slot<K>[]>();

  constructor(
    private readonly kind: AttributeGroupKind<K>,
    private readonly perHead = GROUPS_PER_HEAD,
    private readonly heads = MAX_HEADS,
  ) {}

  /**
   * The group of `key`: found (and moved ahead of the others of its head), or made from it and
   * kept. `key` is kept as it is: the caller makes a new one per lookup.
   */
  groupOf(key: K): AttributeGroup {
    const head = this.kind.head(key);
    let slots = this.byHead.get(head);
    if (slots === undefined) {
      if (this.byHead.size >= this.heads) this.byHead.clear();
      slots = [];
      this.byHead.set(head, slots);
    } else {
      for (let s = 0; s < slots.length; s++) {
        const slot = slots[s];
        if (this.kind.same(slot.key, key)) {
          if (s > 0) {
            slots[s] = slots[s - 1];
            slots[s - 1] = slot;
          }
          return slot.group;
        }
      }
    }
    if (slots.length >= this.perHead) slots.pop();
    const group = new AttributeGroup(this.kind.entries(key));
    slots.push({ key, group });
    return group;
  }
}
