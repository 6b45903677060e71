// A 52-bit hash of a tag (key, value) for the tag index. Collisions only cost a wasted candidate:
// every candidate is checked against the decoded span before it is returned.

/** Hash of `key` = `value`, an integer in [0, 2^52) (exact in a JS number and in SQLite). */
export function tagHash(key: string, value: string): number {
  // Two multiplicative hashes over key, a 0 separator and value (FNV-1a and a murmur-like one).
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1, 0x01000193);
  h2 = Math.imul(h2, 0x5bd1e995);
  h2 ^= h2 >>> 15;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}
