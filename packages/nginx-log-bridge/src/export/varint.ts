// Protobuf varints: sizes, writes at a position, and reading a length-delimited field's size back.

/** A varint below this is one byte. */
export const ONE_BYTE_VARINT = 0x80;

/** The encoded size of `n` (a non-negative integer below 2^32) as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n > 127) {
    n >>>= 7;
    size++;
  }
  return size;
}

/** Writes `n` as a varint at `p`; returns the position after it. */
export function putVarint(buf: Uint8Array, p: number, n: number): number {
  while (n > 127) {
    buf[p++] = (n & 127) | 128;
    n >>>= 7;
  }
  buf[p++] = n;
  return p;
}

/** `n` as varint bytes. */
export function varintBytes(n: number): Buffer {
  const out = Buffer.alloc(varintSize(n));
  putVarint(out, 0, n);
  return out;
}

/** The encoded size of the length-delimited field at `at` (its one-byte tag, its length, its content). */
export function fieldSize(bytes: Uint8Array, at: number): number {
  let p = at + 1;
  let n = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[p++];
    n += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return p - at + n;
}
