// A consistent-hash ring with virtual nodes (as the OpenTelemetry Collector's load-balancing
// exporter builds one): each member owns `virtualNodes` points on a 32-bit circle, a key belongs to
// the first point at or after its hash. Adding or removing one of N members moves about 1/N of the
// keys, and only to or from that member.

/** FNV-1a (32 bit) of a string's UTF-16 code units, then a murmur3 finaliser to spread the bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Default points per member: enough for an even share (±10 %) with a handful of members. */
export const DEFAULT_VIRTUAL_NODES = 150;

/**
 * An immutable ring of members.
 *
 * @example
 * const ring = new HashRing(['10.0.0.1:4317', '10.0.0.2:4317']);
 * ring.owner(span.traceId); // '10.0.0.2:4317'
 */
export class HashRing {
  readonly members: readonly string[];
  readonly #points: Uint32Array;
  readonly #owners: Uint16Array;

  constructor(members: readonly string[], virtualNodes: number = DEFAULT_VIRTUAL_NODES) {
    this.members = [...new Set(members)].sort();
    const pts: Array<[number, number]> = [];
    this.members.forEach((m, i) => {
      for (let v = 0; v < virtualNodes; v++) pts.push([hash32(`${m}#${v}`), i]);
    });
    // ties (two members on one point) go to the smaller member name, the same on every agent
    pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#points = Uint32Array.from(pts, (p) => p[0]);
    this.#owners = Uint16Array.from(pts, (p) => p[1]);
  }

  /** The member owning `key` (undefined for an empty ring). */
  owner(key: string): string | undefined {
    const n = this.#points.length;
    if (n === 0) return undefined;
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.members[this.#owners[lo === n ? 0 : lo]];
  }
}
