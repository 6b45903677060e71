/** Distinct values kept before the table starts over. */
const MAX_INTERNED = 1024;

/**
 * One string object per distinct low-cardinality value (upstream names), bounded: spans then share
 * one string object per upstream, which the encoder's per-attribute value cache and the group keys
 * compare by identity first.
 */
export class StringInterner {
  private readonly table = new Map<string, string>();
  // The value interned last: consecutive lines mostly name the same upstream, and comparing with it
  // costs less than hashing the line's fresh substring for the table.
  private last = '';

  intern(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (value === this.last) return this.last;
    const known = this.table.get(value);
    if (known !== undefined) {
      this.last = known;
      return known;
    }
    if (this.table.size >= MAX_INTERNED) this.table.clear();
    this.table.set(value, value);
    this.last = value;
    return value;
  }
}
