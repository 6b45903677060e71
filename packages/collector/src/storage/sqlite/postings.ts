// The search index of one write transaction (a "block"): for every term (hash of a tag key=value,
// a service, an operation or a layer) the row ids of the block's spans that carry it, in one blob.
// One blob per transaction replaces one B-tree row per span and tag: writing it is an append, and
// a search reads a block's blob and binary-searches it.
//
// Layout (little-endian): u8 format (1: i32 row-id deltas from `base`, 2: f64 row ids), 3 pad,
// u32 term count T, u32 entry count E, u32 pad, f64 × T sorted term hashes, u32 × (T + 1) entry
// starts, then E row ids (i32 deltas or f64).

const HEADER = 16;

/** Collects (term, row id) pairs of one transaction and packs them. */
export class PostingsBuilder {
  readonly #lists = new Map<number, number[]>();
  #entries = 0;
  #minRow = Number.POSITIVE_INFINITY;
  #maxRow = Number.NEGATIVE_INFINITY;

  get entries(): number {
    return this.#entries;
  }

  add(term: number, rowid: number): void {
    const list = this.#lists.get(term);
    if (list === undefined) this.#lists.set(term, [rowid]);
    else if (list[list.length - 1] !== rowid) list.push(rowid);
    else return;
    this.#entries++;
    if (rowid < this.#minRow) this.#minRow = rowid;
    if (rowid > this.#maxRow) this.#maxRow = rowid;
  }

  /** The packed blob and the base its deltas are relative to. */
  build(): { blob: Buffer; base: number } {
    const terms = Float64Array.from(this.#lists.keys()).sort();
    const base = Number.isFinite(this.#minRow) ? this.#minRow : 0;
    const narrow = this.#maxRow - base <= 0x7fffffff;
    const width = narrow ? 4 : 8;
    const t = terms.length;
    const startsAt = HEADER + 8 * t;
    const rowsAt = startsAt + 4 * (t + 1);
    const buf = Buffer.allocUnsafe(rowsAt + width * this.#entries);
    buf.writeUInt32LE(narrow ? 1 : 2, 0);
    buf.writeUInt32LE(t, 4);
    buf.writeUInt32LE(this.#entries, 8);
    buf.writeUInt32LE(0, 12);
    let e = 0;
    for (let i = 0; i < t; i++) {
      buf.writeDoubleLE(terms[i], HEADER + 8 * i);
      buf.writeUInt32LE(e, startsAt + 4 * i);
      const list = this.#lists.get(terms[i])!;
      for (let j = 1; j < list.length; j++) {
        if (list[j] <= list[j - 1]) {
          // A re-written span, or a merged block: sort, and drop repeats below.
          list.sort((a, b) => a - b);
          break;
        }
      }
      let prev = Number.NaN;
      for (const r of list) {
        if (r === prev) continue;
        prev = r;
        if (narrow) buf.writeInt32LE(r - base, rowsAt + 4 * e);
        else buf.writeDoubleLE(r, rowsAt + 8 * e);
        e++;
      }
    }
    buf.writeUInt32LE(e, startsAt + 4 * t);
    buf.writeUInt32LE(e, 8);
    return { blob: buf.subarray(0, rowsAt + width * e), base };
  }
}

/** Row ids (ascending) of the block's spans carrying `term`; [] when none. */
export function lookupPostings(blob: Buffer, base: number, term: number): number[] {
  if (blob.length < HEADER) return [];
  const format = blob.readUInt32LE(0);
  const t = blob.readUInt32LE(4);
  let lo = 0;
  let hi = t - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const h = blob.readDoubleLE(HEADER + 8 * mid);
    if (h < term) lo = mid + 1;
    else if (h > term) hi = mid - 1;
    else {
      const startsAt = HEADER + 8 * t;
      const rowsAt = startsAt + 4 * (t + 1);
      const from = blob.readUInt32LE(startsAt + 4 * mid);
      const to = blob.readUInt32LE(startsAt + 4 * (mid + 1));
      const out: number[] = new Array(to - from);
      for (let e = from; e < to; e++) {
        out[e - from] =
          format === 1 ? base + blob.readInt32LE(rowsAt + 4 * e) : blob.readDoubleLE(rowsAt + 8 * e);
      }
      return out;
    }
  }
  return [];
}

/** Number of entries in a block's blob (for retention statistics). */
export function postingsEntries(blob: Buffer): number {
  return blob.length < HEADER ? 0 : blob.readUInt32LE(8);
}

/** Calls `fn` with every (term, row id) pair of a block's blob, terms ascending. */
export function forEachPosting(blob: Buffer, base: number, fn: (term: number, rowid: number) => void): void {
  if (blob.length < HEADER) return;
  const format = blob.readUInt32LE(0);
  const t = blob.readUInt32LE(4);
  const startsAt = HEADER + 8 * t;
  const rowsAt = startsAt + 4 * (t + 1);
  for (let i = 0; i < t; i++) {
    const term = blob.readDoubleLE(HEADER + 8 * i);
    const to = blob.readUInt32LE(startsAt + 4 * (i + 1));
    for (let e = blob.readUInt32LE(startsAt + 4 * i); e < to; e++) {
      fn(term, format === 1 ? base + blob.readInt32LE(rowsAt + 4 * e) : blob.readDoubleLE(rowsAt + 8 * e));
    }
  }
}
