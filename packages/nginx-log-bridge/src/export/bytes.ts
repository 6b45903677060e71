// Byte copies for the direct encoder: word at a time, because optimised code checks a typed
// array's bounds again at every element; and strings to bytes.

/** A DataView of all of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Copies `n` bytes of `from` (`fromView` its view) at `at` to `to` (`toView`) at `pos`, four at a
 * time: optimised code checks a typed array's map and bounds again at every element, so a byte
 * loop costs about 30 instructions per byte, a 32-bit DataView copy about 40 per four. The ranges
 * must not overlap.
 */
export function copyBytes(
  to: Uint8Array,
  toView: DataView,
  pos: number,
  from: Uint8Array,
  fromView: DataView,
  at: number,
  n: number,
): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) to[pos + i] = from[at + i];
    return;
  }
  for (let i = 0; i < n - 4; i += 4) toView.setUint32(pos + i, fromView.getUint32(at + i));
  // The last four bytes as one word, overlapping bytes already copied (with the same values).
  toView.setUint32(pos + n - 4, fromView.getUint32(at + n - 4));
}

/**
 * {@link copyBytes} of ASCII bytes, eight at a time as float64 words: a float64 read and written
 * back keeps its bits, and bytes below 0x80 never form a NaN (its exponent needs a byte of 0xF0 or
 * more), which is the one value an engine may rewrite. Only for bytes known to be ASCII.
 */
export function copyAsciiBytes(
  to: Uint8Array,
  toView: DataView,
  pos: number,
  from: Uint8Array,
  fromView: DataView,
  at: number,
  n: number,
): void {
  if (n < 8) {
    copyBytes(to, toView, pos, from, fromView, at, n);
    return;
  }
  for (let i = 0; i < n - 8; i += 8) toView.setFloat64(pos + i, fromView.getFloat64(at + i, true), true);
  // The last eight bytes as one word, overlapping bytes already copied (with the same values).
  toView.setFloat64(pos + n - 8, fromView.getFloat64(at + n - 8, true), true);
}

/** Strings shorter than this are measured without a native call when ASCII. */
const SHORT_STRING = 64;

/** UTF-8 byte length; short ASCII strings without a native call. */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n < SHORT_STRING) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

/** Writes the characters of `s` as bytes from `pos`; the position after them, or -1 at a non-ASCII one. */
export function copyAscii(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[pos++] = c;
  }
  return pos;
}
