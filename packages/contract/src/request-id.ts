import * as crypto from 'node:crypto';

/**
 * The trace identity that ingress-nginx's `X-Request-ID` stands for.
 *
 * - `traceId`: 32 lowercase hex digits.
 * - `spanId`: 16 lowercase hex digits, the id of the ingress span that handed the request to the
 *   app (the final upstream attempt's CLIENT span, see {@link ingressSpanIds}).
 */
export interface RequestIdContext {
  readonly traceId: string;
  readonly spanId: string;
  /** The normalised request id the ids were derived from. */
  readonly requestId: string;
  /** True when the trace id is the request id itself (32 hex digits or a UUID), false when hashed. */
  readonly direct: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const MAX_REQUEST_ID_LENGTH = 256;
const INGRESS_PREFIX = 'crosstrace/ingress/';

// `crypto.hash()` (Node >= 20.12) hashes in one native call, about 3x faster than a Hash object
// per id; the bridge derives two or more ids per log line. Same digest either way.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

const sha256Hex: (text: string) => string =
  typeof oneShot === 'function'
    ? (text) => oneShot('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

// The same digest as one byte per character (`binary`, i.e. latin1): the cheapest way to get a digest's bytes out
// of `crypto.hash()` (a `Buffer` result costs about 3x as much, a JS SHA-256 measured no faster).
const oneShotLatin1 = (crypto as { hash?: (algorithm: string, data: string, encoding: 'binary') => string })
  .hash;
const sha256Latin1: (text: string) => string =
  typeof oneShotLatin1 === 'function'
    ? (text) => oneShotLatin1('sha256', text, 'binary')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('binary');

/** 32 lowercase hex digits (`/^[0-9a-f]{32}$/`), without a regex on the hot path. */
function isHex32(id: string): boolean {
  if (id.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function nonZeroSpanId(hex16: string): string {
  return hex16 === ZERO_SPAN ? '0000000000000001' : hex16;
}

/**
 * Derives a trace context from an `X-Request-ID` (ingress-nginx's `$req_id`), so that the ingress
 * spans built from the access log and the app spans built from the request meet in one trace.
 *
 * The derivation (stable, documented in the tracer README so other languages can repeat it):
 * 1. Normalise: trim and lowercase. An id of 32 hex digits, or a UUID whose dashes are removed to
 *    32 hex digits, is used as the trace id as it is (`direct`). Any other non-empty id of at most
 *    256 characters gives the trace id `sha256("crosstrace/trace/" + id)[0..32]`.
 * 2. The span id is `sha256("crosstrace/ingress/" + id)[0..16]`: the id of the last upstream
 *    attempt's CLIENT span that the bridge emits, which is the app server span's parent.
 * An all-zero result (invalid in W3C) is replaced by `…01`.
 *
 * Returns `undefined` for an empty, over-long or non-string id; never throws.
 *
 * @param requestId - the `X-Request-ID` header value
 * @example
 * const ctx = contextFromRequestId('0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21');
 * // ctx.traceId === '0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21'
 */
export function contextFromRequestId(requestId: unknown): RequestIdContext | undefined {
  // The usual id (ingress-nginx's `$req_id`: 32 lowercase hex digits) is already normalised and is
  // the trace id itself: one digest, no intermediate strings but its input.
  if (typeof requestId === 'string' && isHex32(requestId) && requestId !== ZERO_TRACE) {
    const spanId = nonZeroSpanId(sha256Hex(`${INGRESS_PREFIX}${requestId}`).slice(0, 16));
    return { traceId: requestId, spanId, requestId, direct: true };
  }
  const d = derive(requestId);
  if (d === undefined) return undefined;
  const spanId = nonZeroSpanId(d.ingress.slice(0, 16));
  return { traceId: d.traceId, spanId, requestId: d.id, direct: d.direct };
}

/** The normalised id, the trace id and the hex ingress digest the two derivations share. */
function derive(
  requestId: unknown,
): { id: string; traceId: string; direct: boolean; ingress: string } | undefined {
  if (typeof requestId !== 'string') return undefined;
  const id = requestId.trim().toLowerCase();
  if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return undefined;
  let traceId: string;
  let direct = false;
  if (isHex32(id)) {
    traceId = id;
    direct = true;
  } else if (UUID.test(id)) {
    traceId = id.replaceAll('-', '');
    direct = true;
  } else {
    traceId = sha256Hex(`crosstrace/trace/${id}`).slice(0, 32);
  }
  if (traceId === ZERO_TRACE) {
    traceId = sha256Hex(`crosstrace/trace/${id}`).slice(0, 32);
    direct = false;
  }
  return { id, traceId, direct, ingress: sha256Hex(`crosstrace/ingress/${id}`) };
}

/** The span ids the nginx bridge gives the spans of one logged request. */
export interface IngressSpanIds {
  readonly traceId: string;
  /** The ingress SERVER span. */
  readonly serverSpanId: string;
  /** One CLIENT span id per upstream attempt, in log order; the last equals `contextFromRequestId(id).spanId`. */
  readonly attemptSpanIds: readonly string[];
}

/**
 * The ids of the ingress SERVER span and of each upstream attempt span of one request, derived from
 * its request id. The last attempt's id is {@link contextFromRequestId}'s `spanId`, so an app that
 * only saw `X-Request-ID` is the child of the attempt that produced the response. Earlier attempts
 * get `sha256("crosstrace/attempt/" + i + "/" + id)[0..16]`, the server span the second half of the
 * ingress digest, `sha256("crosstrace/ingress/" + id)[16..32]` (one digest gives both ids of the
 * usual one-attempt line).
 *
 * @param requestId - the logged `$req_id` / `$request_id`
 * @param attempts - how many upstream attempts the log line lists (0 when none)
 */
export function ingressSpanIds(requestId: unknown, attempts: number): IngressSpanIds | undefined {
  const d = derive(requestId);
  if (d === undefined) return undefined;
  const id = d.id;
  const count = Number.isInteger(attempts) && attempts > 0 ? attempts : 0;
  const attemptSpanIds: string[] = [];
  for (let i = 0; i < count - 1; i++) {
    attemptSpanIds.push(nonZeroSpanId(sha256Hex(`crosstrace/attempt/${i}/${id}`).slice(0, 16)));
  }
  if (count > 0) attemptSpanIds.push(nonZeroSpanId(d.ingress.slice(0, 16)));
  const serverSpanId = nonZeroSpanId(d.ingress.slice(16, 32));
  return { traceId: d.traceId, serverSpanId, attemptSpanIds };
}

// The character codes of the lowercase hex digits, by value.
const LOWER_HEX = new TextEncoder().encode('0123456789abcdef');
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[97 + i] = 10 + i;

/** 16 bytes of 32 lowercase hex digits (dashes skipped: a UUID), already validated. */
function writeHexTraceId(id: string, out: Uint8Array, at: number): void {
  let o = at;
  let hi = -1;
  for (let i = 0; i < id.length; i++) {
    const d = HEX_DIGIT[id.charCodeAt(i)];
    if (d === undefined || d < 0) continue;
    if (hi < 0) hi = d;
    else {
      out[o++] = (hi << 4) | d;
      hi = -1;
    }
  }
}

/**
 * The bytes of an already normalised 32-hex id (lowercase digits only, as ingress-nginx logs
 * `$req_id`) at `at`, checking it in the same pass; false for anything else (then the caller
 * normalises it and writes the trace id again) and for the all-zero id.
 */
function decodeHex32(id: string, out: Uint8Array, at: number): boolean {
  let any = 0;
  for (let i = 0; i < 32; i += 2) {
    const hi = HEX_DIGIT[id.charCodeAt(i)];
    const lo = HEX_DIGIT[id.charCodeAt(i + 1)];
    if (hi === undefined || lo === undefined || hi < 0 || lo < 0) return false;
    const b = (hi << 4) | lo;
    out[at + (i >> 1)] = b;
    any |= b;
  }
  return any !== 0;
}

/**
 * Two lowercase hex digits as one 16-bit number (character codes, the first in the high byte) →
 * their byte; {@link NOT_HEX} for anything else. One lookup per two digits, without branches, which
 * random digits would mispredict.
 */
const HEX_PAIR = new Uint16Array(65536);
const NOT_HEX = 0x100;
HEX_PAIR.fill(NOT_HEX);
for (let a = 0; a < 16; a++) {
  for (let b = 0; b < 16; b++) HEX_PAIR[(LOWER_HEX[a] << 8) | LOWER_HEX[b]] = (a << 4) | b;
}

// Views of the bytes `ingressSpanIdBytes` was given last (a log line's read chunk, the same for
// thousands of lines, and the caller's id array): four bytes per access. A typed array's element
// access is checked again at every element in optimised code; a 32-bit DataView access costs
// about as much for four.
let lastText: Uint8Array | undefined;
let lastTextView: DataView | undefined;
let lastOut: Uint8Array | undefined;
let lastOutView: DataView | undefined;

function textView(text: Uint8Array): DataView {
  if (text !== lastText || lastTextView === undefined) {
    lastTextView = new DataView(text.buffer, text.byteOffset, text.byteLength);
    lastText = text;
  }
  return lastTextView;
}

function outView(out: Uint8Array): DataView {
  if (out !== lastOut || lastOutView === undefined) {
    lastOutView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    lastOut = out;
  }
  return lastOutView;
}

/**
 * {@link decodeHex32} of 32 ASCII bytes of `text` from `at`, which also copies the digits into
 * {@link ingressInput} after its prefix (ready for {@link hashIngressInput}): first copied and
 * checked, then decoded from the copy, so `out` is untouched when they are not an id.
 */
function decodeHex32Bytes(text: Uint8Array, at: number, out: Uint8Array, outAt: number): boolean {
  const view = textView(text);
  const input = ingressInputView;
  const from = INGRESS_PREFIX.length;
  let bad = 0;
  for (let i = 0; i < 32; i += 4) {
    const digits = view.getUint32(at + i);
    input.setUint32(from + i, digits);
    bad |= HEX_PAIR[digits >>> 16] | HEX_PAIR[digits & 0xffff];
  }
  if ((bad & NOT_HEX) !== 0) return false;
  const to = outView(out);
  let any = 0;
  // Eight digits → four bytes → one 32-bit write.
  for (let i = 0; i < 32; i += 8) {
    const d1 = input.getUint32(from + i);
    const d2 = input.getUint32(from + i + 4);
    const word =
      ((HEX_PAIR[d1 >>> 16] << 24) |
        (HEX_PAIR[d1 & 0xffff] << 16) |
        (HEX_PAIR[d2 >>> 16] << 8) |
        HEX_PAIR[d2 & 0xffff]) >>>
      0;
    to.setUint32(outAt + (i >> 1), word);
    any |= word;
  }
  return any !== 0;
}

/** The first `n` bytes of sha256(text), an all-zero span id (n = 8) replaced by `…01`. */
function writeDigest(text: string, n: number, out: Uint8Array, at: number): void {
  copyDigest(sha256Latin1(text), 0, n, out, at);
}

/** `n` bytes of a latin1 digest from `from` to `out` at `at`, an all-zero span id (n = 8) made `…01`. */
function copyDigest(d: string, from: number, n: number, out: Uint8Array, at: number): void {
  let any = 0;
  for (let i = 0; i < n; i++) {
    const b = d.charCodeAt(from + i);
    out[at + i] = b;
    any |= b;
  }
  if (any === 0 && n === 8) out[at + 7] = 1;
}

// `crosstrace/ingress/` + 32 hex digits, refilled per id: hashing bytes skips the string
// concatenation and the UTF-8 conversion a string input costs.
const ingressInput = new TextEncoder().encode(`${INGRESS_PREFIX}${'0'.repeat(32)}`);
const ingressInputView = new DataView(ingressInput.buffer, ingressInput.byteOffset, ingressInput.byteLength);
const hashBytes = oneShotLatin1 as
  | ((algorithm: string, data: Uint8Array, encoding: 'binary') => string)
  | undefined;

/** The latin1 digest of {@link ingressInput} as filled by the caller. */
function hashIngressInput(): string {
  const input = ingressInput;
  if (hashBytes === undefined) return sha256Latin1(Buffer.from(input).toString('latin1'));
  return hashBytes('sha256', input, 'binary');
}

/**
 * The latin1 ingress digest of the 32-hex id whose 16 bytes were just written at `at` (the id
 * itself, lowercase, as {@link decodeHex32} accepts it): its text is made again from the bytes.
 */
function ingressDigestOfHex(bytes: Uint8Array, at: number): string {
  const input = ingressInput;
  let p = INGRESS_PREFIX.length;
  for (let i = at; i < at + 16; i++) {
    const b = bytes[i];
    input[p++] = LOWER_HEX[b >> 4];
    input[p++] = LOWER_HEX[b & 15];
  }
  return hashIngressInput();
}

/**
 * {@link ingressSpanIds} as bytes, for encoders that write ids as bytes (OTLP protobuf): the same
 * ids, without hex strings. Writes from `offset` the trace id (16 bytes), the SERVER span id (8
 * bytes) and one 8-byte id per upstream attempt, in log order (`24 + 8 * attempts` bytes).
 *
 * Returns false, writing nothing, where {@link ingressSpanIds} returns `undefined`; never throws
 * for any request id. Throws a `RangeError` when `out` has no room for the ids.
 *
 * @param requestId - the logged `$req_id` / `$request_id`
 * @param attempts - how many upstream attempts the log line lists (0 when none)
 * @param out - where the ids go
 * @param offset - the first byte written (default 0)
 * @param text - optional bytes holding `requestId`'s characters (ASCII) from `textAt`, such as the
 *   log line it was read from: the usual 32-hex id is then read from them instead of the string
 * @param textAt - where `requestId` starts in `text`
 * @example
 * const out = new Uint8Array(24 + 8);
 * ingressSpanIdBytes('fe1c2b9f0d6a4c8e9b7a6d5c4b3a2910', 1, out);
 * // Buffer.from(out.subarray(24, 32)).toString('hex') === ingressSpanIds(id, 1).attemptSpanIds[0]
 */
export function ingressSpanIdBytes(
  requestId: unknown,
  attempts: number,
  out: Uint8Array,
  offset = 0,
  text?: Uint8Array,
  textAt = -1,
): boolean {
  const count = Number.isInteger(attempts) && attempts > 0 ? attempts : 0;
  if (!(offset >= 0 && offset + 24 + 8 * count <= out.length)) {
    throw new RangeError(`ingressSpanIdBytes: out needs ${offset + 24 + 8 * count} bytes`);
  }
  if (typeof requestId !== 'string') return false;
  let id = requestId;
  // The usual `$req_id` is the trace id as it is: no normalising, one pass over its digits.
  const fromText = text !== undefined && textAt >= 0 && textAt + 32 <= text.length;
  const hex =
    id.length === 32 &&
    (fromText ? decodeHex32Bytes(text, textAt, out, offset) : decodeHex32(id, out, offset));
  if (!hex) {
    id = requestId.trim().toLowerCase();
    if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return false;
    let direct = false;
    if (isHex32(id)) direct = id !== ZERO_TRACE;
    else if (UUID.test(id)) direct = id !== '00000000-0000-0000-0000-000000000000';
    if (direct) writeHexTraceId(id, out, offset);
    else writeDigest(`crosstrace/trace/${id}`, 16, out, offset);
  }
  const ingress = !hex
    ? sha256Latin1(`${INGRESS_PREFIX}${id}`)
    : fromText
      ? hashIngressInput() // its digits were copied in by decodeHex32Bytes
      : ingressDigestOfHex(out, offset);
  copyDigest(ingress, 8, 8, out, offset + 16);
  for (let i = 0; i < count - 1; i++)
    writeDigest(`crosstrace/attempt/${i}/${id}`, 8, out, offset + 24 + 8 * i);
  if (count > 0) copyDigest(ingress, 0, 8, out, offset + 16 + 8 * count);
  return true;
}
