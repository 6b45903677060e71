import { randomFillSync } from 'node:crypto';

// Ids come from a pool of cryptographically random bytes refilled 8 KiB at a time, turned into hex
// through a 256-entry table: one native call per ~500 spans instead of one per id.
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

function hex(at: number, bytes: number): string {
  let out = '';
  let allZero = true;
  for (let i = at; i < at + bytes; i++) {
    const b = pool[i];
    if (b !== 0) allZero = false;
    out += HEX[b];
  }
  // An all-zero id is invalid in W3C; it happens once in 2^64 ids at most.
  return allZero ? `${out.slice(0, -1)}1` : out;
}

/** A random, valid W3C trace id (32 lowercase hex digits). */
export function randomTraceId(): string {
  return hex(take(16), 16);
}

/** A random, valid W3C span id (16 lowercase hex digits). */
export function randomSpanId(): string {
  return hex(take(8), 8);
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
