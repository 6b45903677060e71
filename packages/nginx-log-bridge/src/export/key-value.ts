// OTLP KeyValue (an attribute) and AnyValue writing. Every string attribute, whatever its bytes come
// from (an ASCII string, any string, the log line's bytes), is written by one prefix function.
import type { AttributeValue } from '@opentelemetry/api';
import { copyAscii, copyAsciiBytes, utf8Length } from './bytes.js';
import { cachedHit, type KeyEntry, remember, tryCache } from './key-entry.js';
import { tagByte, WIRE_LENGTH, WIRE_VARINT, type Writer } from './protobuf-writer.js';
import { putVarint, varintSize } from './varint.js';

/**
 * String values of fewer bytes are written with every length inside their KeyValue as one byte,
 * packed into words: the longest nesting (a header's one-string array) adds 6 bytes of tags and
 * lengths, and 100 + 6 < 128.
 */
export const PACKED_TEXT_LIMIT = 100;
/** A KeyValue longer than this is not remembered for a copy (writing it again costs as much). */
const MAX_REMEMBERED_BYTES = 256;
/** Integers from 0 below this are written, and remembered, without a length patch. */
const SMALL_INT_LIMIT = 0x80000000;

// Tags inside a KeyValue (all fields below 16: one byte each).
/** KeyValue.value (AnyValue). */
const TAG_VALUE = tagByte(2, WIRE_LENGTH);
/** AnyValue.string_value. */
const TAG_STRING_VALUE = tagByte(1, WIRE_LENGTH);
/** AnyValue.array_value (ArrayValue). */
const TAG_ARRAY_VALUE = tagByte(5, WIRE_LENGTH);
/** ArrayValue.values (AnyValue). */
const TAG_ARRAY_VALUES = tagByte(1, WIRE_LENGTH);
/** Bytes of tags and one-byte lengths between a header's key and its string: value, array, values, string. */
const HEADER_NESTING = 8;
/** The same for a plain string: value, string. */
const TEXT_NESTING = 4;
/** The most bytes a KeyValue's own length takes in the packed form (up to 2^28). */
const PACKED_LENGTH_ROOM = 4;

/**
 * After a KeyValue's tag: its length, its key and the value's nesting for a string of `n` bytes,
 * up to the string's bytes (room is made for them), which the caller writes next. `header`: the
 * value is a one-string array (`[value]`), as request header attributes are.
 */
function textPrefix(w: Writer, e: KeyEntry, n: number, header: boolean): void {
  const k = e.key;
  const kn = k.length;
  if (n < PACKED_TEXT_LIMIT) {
    w.ensure(PACKED_LENGTH_ROOM + kn + HEADER_NESTING + n);
    let pos = putVarint(w.buf, w.pos, kn + (header ? HEADER_NESTING : TEXT_NESTING) + n);
    w.pos = pos;
    w.copy(k, e.keyView, e.keyAscii);
    pos = w.pos;
    const view = w.view;
    if (header) {
      view.setUint32(pos, (TAG_VALUE << 24) | ((n + 6) << 16) | (TAG_ARRAY_VALUE << 8) | (n + 4));
      pos += 4;
    }
    // (KeyValue.value or ArrayValue.values) { string_value }
    view.setUint32(
      pos,
      ((header ? TAG_ARRAY_VALUES : TAG_VALUE) << 24) | ((n + 2) << 16) | (TAG_STRING_VALUE << 8) | n,
    );
    w.pos = pos + 4;
    return;
  }
  const text = 1 + varintSize(n) + n; // AnyValue { string_value }
  const array = 1 + varintSize(text) + text; // ArrayValue { values }
  const value = header ? 1 + varintSize(array) + array : text; // AnyValue of the KeyValue
  w.varint(kn + 1 + varintSize(value) + value);
  w.copy(k, e.keyView, e.keyAscii);
  w.tag(2, WIRE_LENGTH);
  w.varint(value);
  if (header) {
    w.tag(5, WIRE_LENGTH);
    w.varint(array);
    w.tag(1, WIRE_LENGTH);
    w.varint(text);
  }
  w.tag(1, WIRE_LENGTH);
  w.varint(n);
  w.ensure(n);
}

/** A string KeyValue after its tag: a short string in one pass that assumes ASCII, else its UTF-8 length first. */
function textKeyValue(w: Writer, e: KeyEntry, s: string, header: boolean): void {
  if (s.length < PACKED_TEXT_LIMIT) {
    const start = w.pos;
    textPrefix(w, e, s.length, header);
    const end = copyAscii(w.buf, w.pos, s);
    if (end >= 0) {
      w.pos = end;
      return;
    }
    w.pos = start; // not ASCII: written again with its UTF-8 length
  }
  const len = utf8Length(s);
  textPrefix(w, e, len, header);
  w.utf8(s, len);
}

/** An integer KeyValue after its tag (0 ≤ n < 2^31). */
function intKeyValue(w: Writer, e: KeyEntry, n: number): void {
  const value = 1 + varintSize(n);
  w.varint(e.key.length + 1 + varintSize(value) + value);
  w.copy(e.key, e.keyView, e.keyAscii);
  w.tag(2, WIRE_LENGTH);
  w.varint(value);
  w.tag(3, WIRE_VARINT);
  w.varint(n);
}

/**
 * One attribute as a KeyValue in `field`: strings, small integers and header values (`[value]`)
 * with their lengths known up front (strings and integers copied from where the same value was
 * written last under that name, when it still is there), anything else with patched lengths.
 */
export function writeKeyValue(
  w: Writer,
  field: number,
  e: KeyEntry,
  value: AttributeValue | undefined,
): void {
  const isString = typeof value === 'string';
  if (
    isString ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < SMALL_INT_LIMIT)
  ) {
    const caching = tryCache(e);
    if (caching && cachedHit(e, value, w)) {
      w.repeat(field, e.lastAt, e.lastLength);
      return;
    }
    w.tag(field, WIRE_LENGTH);
    const from = w.pos;
    if (isString) textKeyValue(w, e, value, false);
    else intKeyValue(w, e, value);
    if (caching && w.pos - from <= MAX_REMEMBERED_BYTES) remember(e, value, w, from);
    return;
  }
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') {
    w.tag(field, WIRE_LENGTH);
    textKeyValue(w, e, value[0], true);
    return;
  }
  const mark = w.begin(field);
  w.copy(e.key, e.keyView, e.keyAscii);
  if (value !== undefined && value !== null) anyValue(w, 2, value);
  else w.end(w.begin(2));
  w.end(mark);
}

/**
 * A string attribute in `field` whose value is the `n` (< {@link PACKED_TEXT_LIMIT}) ASCII bytes of
 * `bytes` (`view` its view) from `at`: the bytes {@link writeKeyValue} writes for that string.
 */
export function writeBytesKeyValue(
  w: Writer,
  field: number,
  e: KeyEntry,
  bytes: Uint8Array,
  view: DataView,
  at: number,
  n: number,
  header: boolean,
): void {
  w.ensure(1);
  w.buf[w.pos++] = tagByte(field, WIRE_LENGTH);
  textPrefix(w, e, n, header);
  copyAsciiBytes(w.buf, w.view, w.pos, bytes, view, at, n);
  w.pos += n;
}

/** A nested attribute of a map value, its name given as text. */
function nestedKeyValue(w: Writer, key: string, value: unknown): void {
  const mark = w.begin(1);
  w.string(1, key);
  if (value !== undefined && value !== null) anyValue(w, 2, value as AttributeValue);
  else w.end(w.begin(2));
  w.end(mark);
}

/** Any attribute value as an AnyValue in `field`, lengths patched. */
function anyValue(
  w: Writer,
  field: number,
  value: AttributeValue | Uint8Array | Record<string, unknown>,
): void {
  const mark = w.begin(field);
  switch (typeof value) {
    case 'string':
      w.string(1, value);
      break;
    case 'boolean':
      w.tag(2, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      break;
    case 'number':
      if (Number.isInteger(value)) {
        w.tag(3, WIRE_VARINT);
        w.varint(value);
      } else w.double(4, value);
      break;
    default:
      if (value instanceof Uint8Array) w.bytes(7, value);
      else if (Array.isArray(value)) {
        const arr = w.begin(5);
        for (const v of value) {
          if (v === null || v === undefined) w.end(w.begin(1));
          else anyValue(w, 1, v);
        }
        w.end(arr);
      } else if (value !== null && typeof value === 'object') {
        const list = w.begin(6);
        for (const key of Object.keys(value)) nestedKeyValue(w, key, (value as Record<string, unknown>)[key]);
        w.end(list);
      }
  }
  w.end(mark);
}
