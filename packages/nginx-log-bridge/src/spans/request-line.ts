import type { LogRecord } from '../parse/types.js';
import { knownMethodAt } from './http-method.js';
import { type LineText, type TextSlots, textAt } from './line-text.js';
import { present } from './logged-values.js';

const SPACE = 0x20;
/** `HTTP` as a big-endian 32-bit word. */
const HTTP_WORD = 0x48545450;
/** The mask and value of `/` digit `.` digit as a big-endian 32-bit word (digits masked out). */
const VERSION_SHAPE_MASK = 0xff00ff00;
const VERSION_SHAPE = 0x2f002e00;
/** ` HTTP/x.y`: the usual end of a request line. */
const PROTOCOL_SUFFIX_LENGTH = 9;

// `HTTP/x.y` for every pair of digits, one string each (index 10 * x + y).
const HTTP_VERSIONS = Array.from({ length: 100 }, (_, i) => `HTTP/${Math.floor(i / 10)}.${i % 10}`);

/** The constant `HTTP/x.y` whose characters are the 8 bytes of `view` from `at`, else undefined. */
function knownProtocolAt(view: DataView, at: number): string | undefined {
  if (view.getUint32(at) !== HTTP_WORD) return undefined;
  const w = view.getUint32(at + 4);
  if ((w & VERSION_SHAPE_MASK) !== VERSION_SHAPE) return undefined;
  const x = ((w >>> 16) & 0xff) - 48;
  const y = (w & 0xff) - 48;
  if (!(x >= 0 && x <= 9 && y >= 0 && y <= 9)) return undefined;
  return HTTP_VERSIONS[10 * x + y];
}

/** `s.lastIndexOf(' ')` without the runtime call it makes on a substring of the line. */
function lastSpace(s: string): number {
  let i = s.length - 1;
  while (i >= 0 && s.charCodeAt(i) !== SPACE) i--;
  return i;
}

/** Where the first space is in the `n` ASCII bytes of `bytes` from `at` (-1: none), as `indexOf(' ')` of their text. */
function firstSpaceIn(bytes: Uint8Array, at: number, n: number): number {
  for (let i = 0; i < n; i++) if (bytes[at + i] === SPACE) return i;
  return -1;
}

/** {@link firstSpaceIn} for the last space, as {@link lastSpace} of their text. */
function lastSpaceIn(bytes: Uint8Array, at: number, n: number): number {
  let i = n - 1;
  while (i >= 0 && bytes[at + i] !== SPACE) i--;
  return i;
}

/**
 * A line's request: its method, protocol, host and target, from `$request_method`,
 * `$request_uri`, `$server_protocol`, `$host`, else from `$request` (`GET /a?b HTTP/1.1`) or
 * `$request_url`. The target is `targetText` from `targetFrom` to `targetTo` (no substring made
 * for it). One object per span builder, refilled by {@link read} line after line.
 */
export class RequestLine {
  method: string | undefined = undefined;
  protocol: string | undefined = undefined;
  host: string | undefined = undefined;
  targetText: string | undefined = undefined;
  targetFrom = 0;
  targetTo = 0;
  /** Where `url.path` ends: the first `?` of the target, or its end. */
  pathTo = 0;
  /** Where the target starts in the line's bytes when it was cut from `$request` (-1: not there). */
  targetAt = -1;

  /** Reads the request of `record`; with the line's bytes, `$request` is read from them. */
  read(record: LogRecord, text: LineText | undefined, slots: TextSlots | undefined): void {
    let method = present(record.request_method);
    let targetText = present(record.request_uri);
    let targetFrom = 0;
    let targetTo = targetText === undefined ? 0 : targetText.length;
    let protocol = present(record.server_protocol);
    let targetAt = -1;
    const request = record.request;
    if (request !== undefined && request !== '' && request !== '-') {
      // With the line's bytes, the spaces, a known method and an `HTTP/x.y` are read from them:
      // fewer runtime calls, and constant strings, which later comparisons check by identity.
      const requestAt = textAt(text, slots, slots?.request ?? -1);
      const bytes = requestAt >= 0 ? text!.bytes : undefined;
      const n = request.length;
      const a = bytes !== undefined ? firstSpaceIn(bytes, requestAt, n) : request.indexOf(' ');
      const version =
        bytes !== undefined &&
        n > PROTOCOL_SUFFIX_LENGTH &&
        bytes[requestAt + n - PROTOCOL_SUFFIX_LENGTH] === SPACE
          ? knownProtocolAt(text!.view, requestAt + n - PROTOCOL_SUFFIX_LENGTH + 1)
          : undefined;
      const b =
        version !== undefined
          ? n - PROTOCOL_SUFFIX_LENGTH
          : bytes !== undefined
            ? lastSpaceIn(bytes, requestAt, n)
            : lastSpace(request);
      if (a > 0) {
        method ??=
          (bytes !== undefined ? knownMethodAt(bytes, requestAt, a) : undefined) ?? request.slice(0, a);
        if (targetText === undefined) {
          targetText = request;
          targetFrom = a + 1;
          targetTo = b > a ? b : n;
          if (requestAt >= 0) targetAt = requestAt + a + 1;
        }
        if (b > a) protocol ??= version ?? request.slice(b + 1);
      }
    }
    let host = present(record.host);
    const url = present(record.request_url);
    if (targetText === undefined && url !== undefined) {
      const slash = url.indexOf('/');
      if (slash > 0) {
        host ??= url.slice(0, slash);
        targetText = url;
        targetFrom = slash;
        targetTo = url.length;
      } else if (slash === 0) {
        targetText = url;
        targetTo = url.length;
      }
    }
    let pathTo = targetTo;
    if (targetText !== undefined) {
      const q = targetText.indexOf('?', targetFrom);
      if (q >= 0 && q < targetTo) pathTo = q;
    }
    this.method = method;
    this.protocol = protocol;
    this.host = host;
    this.targetText = targetText;
    this.targetFrom = targetFrom;
    this.targetTo = targetTo;
    this.pathTo = pathTo;
    this.targetAt = targetAt;
  }
}
