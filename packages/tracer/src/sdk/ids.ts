import { randomFillSync } from 'node:crypto';

// Ids come from a pool of cryptographically random bytes refilled 8 KiB at a time: one native call
// per ~500 spans instead of one per id. The hex text is made by one String.fromCharCode call from a
// table of digit codes, so an id is one flat string (appending digit pairs with `+=` makes a chain of
// about ten cons strings, which a span keeps, and the young-generation GC copies, until exported).
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;
const DIGITS = '0123456789abcdef';
/** The character codes of each byte's high and low hex digit. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HIGH[i] = DIGITS.charCodeAt(i >> 4);
  LOW[i] = DIGITS.charCodeAt(i & 15);
}
// An all-zero id is invalid in W3C; it happens once in 2^64 ids at most.
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

function hex8(p: Uint8Array, at: number): string {
  const b0 = p[at];
  const b1 = p[at + 1];
  const b2 = p[at + 2];
  const b3 = p[at + 3];
  const b4 = p[at + 4];
  const b5 = p[at + 5];
  const b6 = p[at + 6];
  const b7 = p[at + 7];
  return String.fromCharCode(
    HIGH[b0],
    LOW[b0],
    HIGH[b1],
    LOW[b1],
    HIGH[b2],
    LOW[b2],
    HIGH[b3],
    LOW[b3],
    HIGH[b4],
    LOW[b4],
    HIGH[b5],
    LOW[b5],
    HIGH[b6],
    LOW[b6],
    HIGH[b7],
    LOW[b7],
  );
}

function hex16(p: Uint8Array, at: number): string {
  const b0 = p[at];
  const b1 = p[at + 1];
  const b2 = p[at + 2];
  const b3 = p[at + 3];
  const b4 = p[at + 4];
  const b5 = p[at + 5];
  const b6 = p[at + 6];
  const b7 = p[at + 7];
  const b8 = p[at + 8];
  const b9 = p[at + 9];
  const b10 = p[at + 10];
  const b11 = p[at + 11];
  const b12 = p[at + 12];
  const b13 = p[at + 13];
  const b14 = p[at + 14];
  const b15 = p[at + 15];
  return String.fromCharCode(
    HIGH[b0],
    LOW[b0],
    HIGH[b1],
    LOW[b1],
    HIGH[b2],
    LOW[b2],
    HIGH[b3],
    LOW[b3],
    HIGH[b4],
    LOW[b4],
    HIGH[b5],
    LOW[b5],
    HIGH[b6],
    LOW[b6],
    HIGH[b7],
    LOW[b7],
    HIGH[b8],
    LOW[b8],
    HIGH[b9],
    LOW[b9],
    HIGH[b10],
    LOW[b10],
    HIGH[b11],
    LOW[b11],
    HIGH[b12],
    LOW[b12],
    HIGH[b13],
    LOW[b13],
    HIGH[b14],
    LOW[b14],
    HIGH[b15],
    LOW[b15],
  );
}

/** The trace id the 16 bytes at `at` spell in lowercase hex; all zeros (invalid) become `0…01`. */
export function traceIdFromBytes(bytes: Uint8Array, at: number): string {
  const id = hex16(bytes, at);
  return id === ZERO_TRACE_ID ? `${ZERO_TRACE_ID.slice(0, -1)}1` : id;
}

/** The span id the 8 bytes at `at` spell in lowercase hex; all zeros (invalid) become `0…01`. */
export function spanIdFromBytes(bytes: Uint8Array, at: number): string {
  const id = hex8(bytes, at);
  return id === ZERO_SPAN_ID ? `${ZERO_SPAN_ID.slice(0, -1)}1` : id;
}

/** A random, valid W3C trace id (32 lowercase hex digits). */
export function randomTraceId(): string {
  return traceIdFromBytes(pool, take(16));
}

/** A random, valid W3C span id (16 lowercase hex digits). */
export function randomSpanId(): string {
  return spanIdFromBytes(pool, take(8));
}

// 32-bit words for span ids, drawn from their own pool; the id becomes hex lazily
// (see CrosstraceSpanContext.spanId).
const WORDS = 2048;
// Int32 so the words stay small integers (no boxed heap numbers per span)
const words = new Int32Array(WORDS);
let wordAt = WORDS;

/** Index of two fresh random 32-bit words in {@link randomWords} (valid until the next call). */
export function nextWordPair(): number {
  if (wordAt + 2 > WORDS) {
    randomFillSync(words);
    wordAt = 0;
  }
  const at = wordAt;
  wordAt += 2;
  return at;
}

/** The word pool read by {@link nextWordPair}. */
export const randomWords: Int32Array = words;
