import type { HrTime } from '@opentelemetry/api';
import { copyAscii, copyAsciiBytes, copyBytes, viewOf } from './bytes.js';
import { ONE_BYTE_VARINT, varintSize } from './varint.js';

// Wire types.
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

/** The tag of `field` (below 16: one byte) with wire type `wire`. */
export function tagByte(field: number, wire: number): number {
  return (field << 3) | wire;
}

/** Bytes {@link Writer.begin} reserves for a nested message's length (a varint up to 2^35). */
export const LENGTH_ROOM = 5;
/** Bytes {@link Writer.begin2} reserves: lengths of 128 B to 16 KiB, such as one span's. */
const LENGTH_ROOM_2 = 2;
/** Fewer bytes than this are copied one by one; more with `TypedArray#set` (a memcpy). */
const SHORT_COPY = 16;
/** Strings shorter than this whose UTF-8 length equals their length are copied character by character. */
const SHORT_ASCII = 64;
/** Bytes a request's buffer starts with per span (it grows when a batch needs more). */
export const REQUEST_BYTES_PER_SPAN = 700;
/** The smallest request buffer. */
export const MIN_REQUEST_BYTES = 4096;
/** The size of a fixed64 field below 16: its tag and 8 bytes. */
export const FIXED64_FIELD_SIZE = 9;

// Hex digit → value (-1: not a hex digit), for ASCII characters.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}

/**
 * Protobuf wire format into one growable buffer: fields written in order, nested lengths
 * reserved and patched in place. One per request being written.
 */
export class Writer {
  buf: Buffer;
  /** A view of {@link buf}, for {@link copyBytes}. */
  view: DataView;
  pos = 0;
  /** Bumped when written bytes move (a length patch) or are given up (a line rolled back): remembered positions expire. */
  generation = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = viewOf(this.buf);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = viewOf(next);
  }

  varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (n >= 0 && n < 0x80000000) {
      while (n > 127) {
        buf[pos++] = (n & 127) | 128;
        n >>>= 7;
      }
      buf[pos++] = n;
    } else {
      let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
      while (v > 127n) {
        buf[pos++] = Number(v & 127n) | 128;
        v >>= 7n;
      }
      buf[pos++] = Number(v);
    }
    this.pos = pos;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A string field: its tag, its length and its UTF-8 bytes. */
  string(field: number, s: string): void {
    this.tag(field, WIRE_LENGTH);
    if (s.length < ONE_BYTE_VARINT && this.asciiString(s)) return;
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.utf8(s, len);
  }

  /** Length byte + bytes of a short ASCII string in one pass; false (nothing written) otherwise. */
  private asciiString(s: string): boolean {
    const n = s.length;
    this.ensure(n + 1);
    const buf = this.buf;
    const start = this.pos;
    buf[start] = n;
    const end = copyAscii(buf, start + 1, s);
    if (end < 0) return false;
    this.pos = end;
    return true;
  }

  /** The UTF-8 bytes of `s` (`len` = their number), nothing else. */
  utf8(s: string, len: number): void {
    this.ensure(len);
    if (len === s.length && len < SHORT_ASCII) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < len; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** A length-delimited field (< 16) whose length and content are already written at `at`. */
  repeat(field: number, at: number, n: number): void {
    this.ensure(n + 1);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = tagByte(field, WIRE_LENGTH);
    buf.copyWithin(pos, at, at + n);
    this.pos = pos + n;
  }

  /** A length-delimited field (< 16) whose length and content are already encoded in `bytes`. */
  tagged(field: number, bytes: Uint8Array): void {
    this.ensure(1);
    this.buf[this.pos++] = tagByte(field, WIRE_LENGTH);
    this.raw(bytes);
  }

  /** Bytes as they are. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    if (n < SHORT_COPY) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos++] = bytes[i];
      this.pos = pos;
    } else {
      this.buf.set(bytes, this.pos);
      this.pos += n;
    }
  }

  /** All of `bytes` (`view` its view) as they are, eight at a time when they are known to be ASCII. */
  copy(bytes: Uint8Array, view: DataView, ascii: boolean): void {
    const n = bytes.length;
    this.ensure(n);
    if (ascii) copyAsciiBytes(this.buf, this.view, this.pos, bytes, view, 0, n);
    else copyBytes(this.buf, this.view, this.pos, bytes, view, 0, n);
    this.pos += n;
  }

  /** A bytes field from hex digits (ids of span objects); non-hex digits as `Buffer` decodes them, the length kept. */
  hexBytes(field: number, hex: string): void {
    const len = hex.length >> 1;
    this.tag(field, WIRE_LENGTH);
    this.varint(len);
    this.ensure(len);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < hex.length; i += 2) {
      const hi = HEX_VALUE[hex.charCodeAt(i)];
      const lo = HEX_VALUE[hex.charCodeAt(i + 1)];
      if (hi === undefined || lo === undefined || hi < 0 || lo < 0) {
        // not hex: leave it to Buffer (which stops at the first bad digit), keep the declared length
        buf.fill(0, this.pos, this.pos + len);
        buf.write(hex, this.pos, len, 'hex');
        this.pos += len;
        return;
      }
      buf[pos++] = (hi << 4) | lo;
    }
    this.pos = pos;
  }

  /** A bytes field of `n` (< 128) bytes of `b` (`view` its view) from `at` (ids). */
  idBytes(field: number, b: Uint8Array, view: DataView, at: number, n: number): void {
    this.ensure(n + 2);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = tagByte(field, WIRE_LENGTH);
    buf[pos + 1] = n;
    copyBytes(buf, this.view, pos + 2, b, view, at, n);
    this.pos = pos + 2 + n;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_LENGTH);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  fixed64Time(field: number, t: HrTime): void {
    this.fixed64Nanos(field, t[0], t[1]);
  }

  /**
   * {@link fixed64Time} of `msToHrTime(ms)`, without the array, for a field below 16 (one tag
   * byte); the caller made room for its {@link FIXED64_FIELD_SIZE} bytes.
   */
  fixed64MsInRoom(field: number, ms: number): void {
    const micros = Math.round(ms * 1000);
    if (!(micros >= 0 && micros <= Number.MAX_SAFE_INTEGER)) {
      const seconds = Math.floor(micros / 1_000_000);
      this.fixed64Nanos(field, seconds, (micros - seconds * 1_000_000) * 1000);
      return;
    }
    // micros * 1000 (the nanoseconds msToHrTime's parts add up to) as two exact 32-bit halves:
    // micros = hi * 2^32 + lo, lo * 1000 < 2^42 is exact in a double.
    const hi = Math.floor(micros / 4294967296);
    const lo1000 = (micros - hi * 4294967296) * 1000;
    const carry = Math.floor(lo1000 / 4294967296);
    const pos = this.pos;
    this.buf[pos] = tagByte(field, WIRE_FIXED64);
    this.view.setUint32(pos + 1, lo1000 - carry * 4294967296, true);
    this.view.setUint32(pos + 5, hi * 1000 + carry, true);
    this.pos = pos + FIXED64_FIELD_SIZE;
  }

  fixed64Nanos(field: number, s: number, nanos: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    // seconds * 1e9 + nanos as two exact 32-bit halves, in doubles (no BigInt per timestamp).
    const s1 = Math.floor(s / 65536);
    const x0 = (s - s1 * 65536) * 1e9 + nanos;
    const x1 = s1 * 1e9;
    const x1hi = Math.floor(x1 / 65536);
    const y = (x1 - x1hi * 65536) * 65536 + x0;
    const carry = Math.floor(y / 4294967296);
    this.view.setUint32(this.pos, y - carry * 4294967296, true);
    this.view.setUint32(this.pos + 4, x1hi + carry, true);
    this.pos += 8;
  }

  fixed32(field: number, n: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    this.view.setUint32(this.pos, n >>> 0, true);
    this.pos += 4;
  }

  double(field: number, n: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }

  /** Starts a length-delimited field; returns the mark for {@link end}. */
  begin(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.ensure(LENGTH_ROOM);
    const mark = this.pos;
    this.pos += LENGTH_ROOM;
    return mark;
  }

  /** Writes the length at `mark` and closes the gap left by the reservation. */
  end(mark: number): void {
    const start = mark + LENGTH_ROOM;
    const len = this.pos - start;
    const size = varintSize(len);
    if (size < LENGTH_ROOM) {
      this.buf.copyWithin(mark + size, start, this.pos);
      this.generation++; // bytes moved: remembered positions are stale
    }
    this.putLength(mark, len);
    this.pos -= LENGTH_ROOM - size;
  }

  /**
   * Like {@link begin} with room for a 2-byte length (messages of 128 B to 16 KiB, such as one
   * span): {@link end2} then rarely moves the message. Returns the mark for {@link end2}.
   */
  begin2(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.ensure(LENGTH_ROOM_2);
    const mark = this.pos;
    this.pos += LENGTH_ROOM_2;
    return mark;
  }

  /** Writes the length at a {@link begin2} mark, moving the message only when it needs 1 or 3+ bytes. */
  end2(mark: number): void {
    const start = mark + LENGTH_ROOM_2;
    const len = this.pos - start;
    const size = varintSize(len);
    if (size !== LENGTH_ROOM_2) {
      if (size > LENGTH_ROOM_2) this.ensure(size - LENGTH_ROOM_2);
      this.buf.copyWithin(mark + size, start, this.pos);
      this.pos += size - LENGTH_ROOM_2;
      this.generation++; // bytes moved: remembered positions are stale
    }
    this.putLength(mark, len);
  }

  private putLength(at: number, len: number): void {
    let p = at;
    let n = len;
    while (n > 127) {
      this.buf[p++] = (n & 127) | 128;
      n >>>= 7;
    }
    this.buf[p] = n;
  }
}
