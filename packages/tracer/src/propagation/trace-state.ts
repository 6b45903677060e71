import type { TraceState as ApiTraceState } from '@opentelemetry/api';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';

/** At most this many list members (W3C Trace Context, "tracestate Header Field Values"). */
export const TRACESTATE_MAX_MEMBERS = 32;
/** A key is 1 to 256 characters. */
export const TRACESTATE_MAX_KEY_LENGTH = 256;
/** A value is 1 to 256 characters. */
export const TRACESTATE_MAX_VALUE_LENGTH = 256;

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;

/** `key = ( lcalpha / DIGIT ) 0*255 ( keychar )`, `keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"`. */
function isKeyChar(c: number, first: boolean): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return true;
  return !first && (c === 0x5f || c === 0x2d || c === 0x2a || c === 0x2f || c === 0x40);
}

function isKeyIn(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > TRACESTATE_MAX_KEY_LENGTH) return false;
  for (let i = from; i < to; i++) if (!isKeyChar(s.charCodeAt(i), i === from)) return false;
  return true;
}

/**
 * `value = 0*255(chr) nblk-chr`, `chr = %x20 / nblk-chr`, `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`:
 * printable ASCII except `,` and `=`, not ending in a space; leading spaces belong to the value.
 */
function isValueIn(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > TRACESTATE_MAX_VALUE_LENGTH) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < SPACE || c > 0x7e || c === COMMA || c === EQUALS) return false;
  }
  return s.charCodeAt(to - 1) !== SPACE;
}

/** True when `key` is a valid tracestate key (Trace Context Level 2 grammar, which includes Level 1's). */
export function isTraceStateKey(key: unknown): key is string {
  return typeof key === 'string' && isKeyIn(key, 0, key.length);
}

/** True when `value` is a valid tracestate value. */
export function isTraceStateValue(value: unknown): value is string {
  return typeof value === 'string' && isValueIn(value, 0, value.length);
}

function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * A W3C `tracestate`: an immutable, ordered list of at most 32 vendor key/value pairs, the most
 * recently modified on the left. It is the `@opentelemetry/api` `TraceState`, with the
 * specification's rules enforced: {@link parseTraceState} rejects a whole header that breaks them,
 * `set` ignores (with one diagnostic) a key or value outside the grammar, moves the key it sets to
 * the left and drops the right-most member beyond 32.
 *
 * @example
 * const state = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
 * state?.set('crosstrace', 'p:1').serialize(); // 'crosstrace=p:1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'
 */
export class TraceState implements ApiTraceState {
  private readonly keys: readonly string[];
  private readonly values: readonly string[];
  private header: string | undefined;

  /** Use {@link parseTraceState} or `new TraceState().set(…)`; the lists are trusted as valid. */
  constructor(keys: readonly string[] = [], values: readonly string[] = [], header?: string) {
    this.keys = keys;
    this.values = values;
    this.header = header;
  }

  /** The number of list members. */
  get size(): number {
    return this.keys.length;
  }

  get(key: string): string | undefined {
    const i = this.keys.indexOf(key);
    return i === -1 ? undefined : this.values[i];
  }

  set(key: string, value: string): TraceState {
    if (!isTraceStateKey(key) || !isTraceStateValue(value)) {
      reportOnce(
        ErrorCode.InvalidArgument,
        'traceState.set: key or value outside the W3C tracestate grammar; ignored',
        'tracestate-set',
      );
      return this;
    }
    const keys = [key];
    const values = [value];
    for (let i = 0; i < this.keys.length && keys.length < TRACESTATE_MAX_MEMBERS; i++) {
      if (this.keys[i] === key) continue;
      keys.push(this.keys[i]);
      values.push(this.values[i]);
    }
    return new TraceState(keys, values);
  }

  unset(key: string): TraceState {
    const i = this.keys.indexOf(key);
    if (i === -1) return this;
    return new TraceState(
      this.keys.filter((_, j) => j !== i),
      this.values.filter((_, j) => j !== i),
    );
  }

  /** The header value: `key=value` members joined by `,`, without optional whitespace. */
  serialize(): string {
    let header = this.header;
    if (header === undefined) {
      header = '';
      for (let i = 0; i < this.keys.length; i++) {
        header += `${i === 0 ? '' : ','}${this.keys[i]}=${this.values[i]}`;
      }
      this.header = header;
    }
    return header;
  }

  /** The members, left to right. */
  entries(): [string, string][] {
    return this.keys.map((k, i) => [k, this.values[i]]);
  }
}

/**
 * Parses a `tracestate` header (its repeated fields joined with `,`, as RFC 9110 combines them)
 * exactly per W3C Trace Context: members split on `,` with spaces and tabs around them ignored,
 * empty members skipped, each member `key=value` with no whitespace around `=`, keys and values
 * per the grammar (see {@link isTraceStateKey} / {@link isTraceStateValue}), at most 32 members.
 * A header that breaks any rule is discarded as a whole (`undefined`), as is one without members;
 * of a duplicated key the left-most member is kept. Never throws.
 *
 * @param header - the header value, or its repeated fields
 * @example
 * parseTraceState(['foo=1', 'bar=2'])?.serialize(); // 'foo=1,bar=2'
 * parseTraceState('foo=bar=baz'); // undefined
 */
export function parseTraceState(header: string | readonly string[] | undefined): TraceState | undefined {
  if (header === undefined) return undefined;
  const s = typeof header === 'string' ? header : Array.isArray(header) ? header.join(',') : undefined;
  if (typeof s !== 'string') return undefined;
  const keys: string[] = [];
  const values: string[] = [];
  let members = 0;
  let canonical = true; // no OWS, no empty member, no duplicate: the header can be sent as it came
  const end = s.length;
  let at = 0;
  while (at <= end) {
    let comma = s.indexOf(',', at);
    if (comma === -1) comma = end;
    let from = at;
    let to = comma;
    while (from < to && isOws(s.charCodeAt(from))) from++;
    while (to > from && isOws(s.charCodeAt(to - 1))) to--;
    if (from !== at || to !== comma) canonical = false;
    if (from === to) {
      if (end !== 0) canonical = false;
    } else {
      if (++members > TRACESTATE_MAX_MEMBERS) return undefined;
      const eq = s.indexOf('=', from);
      if (eq === -1 || eq >= to || !isKeyIn(s, from, eq) || !isValueIn(s, eq + 1, to)) return undefined;
      const key = s.slice(from, eq);
      if (keys.includes(key)) canonical = false;
      else {
        keys.push(key);
        values.push(s.slice(eq + 1, to));
      }
    }
    at = comma + 1;
  }
  if (keys.length === 0) return undefined;
  return new TraceState(keys, values, canonical ? s : undefined);
}
