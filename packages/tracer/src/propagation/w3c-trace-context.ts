import {
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { KNOWN_TRACE_FLAGS } from '../api/trace-flags.js';
import { firstHeader, isValidSpanContext } from './hex.js';
import { withRemoteParent } from './remote-context.js';
import { parseTraceState, TraceState } from './trace-state.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
// hex digit value by char code, -1 for anything else (uppercase hex is invalid in traceparent)
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;

/** Parsed parts of a valid `traceparent`. */
export interface Traceparent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

function hexPair(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  if (a > 127 || b > 127) return -1;
  const x = HEX_VALUE[a];
  const y = HEX_VALUE[b];
  return x < 0 || y < 0 ? -1 : x * 16 + y;
}

/** True when s[from, from+len) is lowercase hex with at least one non-zero digit. */
function hexField(s: string, from: number, len: number): boolean {
  let nonZero = 0;
  for (let i = from; i < from + len; i++) {
    const c = s.charCodeAt(i);
    const v = c > 127 ? -1 : HEX_VALUE[c];
    if (v < 0) return false;
    nonZero |= v;
  }
  return nonZero !== 0;
}

/**
 * Parses a W3C `traceparent` exactly per Trace Context levels 1 and 2: version `00` is exactly 55
 * characters; a higher version (not `ff`) may be longer if the 56th character is `-`; ids are
 * lowercase hex and not all zero. The `sampled` (0x01) and `random-trace-id` (0x02) flags are kept,
 * reserved bits are cleared. Returns `undefined` for any invalid header; never throws.
 */
export function parseTraceparent(header: unknown): Traceparent | undefined {
  if (typeof header !== 'string') return undefined;
  let h = header;
  if (h.length !== 55) {
    h = h.trim();
    if (h.length < 55) return undefined;
  }
  const version = hexPair(h, 0);
  if (version < 0 || version === 0xff) return undefined;
  if (version === 0 ? h.length !== 55 : h.length > 55 && h[55] !== '-') return undefined;
  if (h[2] !== '-' || h[35] !== '-' || h[52] !== '-') return undefined;
  if (!hexField(h, 3, 32) || !hexField(h, 36, 16)) return undefined;
  const flags = hexPair(h, 53);
  if (flags < 0) return undefined;
  return { traceId: h.slice(3, 35), spanId: h.slice(36, 52), traceFlags: flags & KNOWN_TRACE_FLAGS };
}

const FLAGS_TEXT = ['00', '01', '02', '03'];

/**
 * Formats a version-00 `traceparent` (also the Level 2 `traceresponse` value): the `sampled` and
 * `random-trace-id` flags of `traceFlags`, reserved bits cleared.
 */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${FLAGS_TEXT[traceFlags & KNOWN_TRACE_FLAGS]}`;
}

/**
 * W3C Trace Context levels 1 and 2 (`traceparent` + `tracestate`) as an `@opentelemetry/api`
 * `TextMapPropagator`. An invalid `traceparent` leaves the context as it was (the server then
 * starts a fresh trace); an invalid `tracestate` (see `parseTraceState`) is dropped whole while the
 * `traceparent` is kept. The `sampled` and `random-trace-id` flags travel; reserved ones do not.
 *
 * @example
 * const p = new W3CTraceContextPropagator();
 * const ctx = p.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
 */
export class W3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (sc === undefined || !isValidSpanContext(sc)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags));
    const state = sc.traceState;
    if (state !== undefined) {
      // Another implementation's state (OpenTelemetry's validates nothing) is checked before it is sent.
      const header =
        state instanceof TraceState ? state.serialize() : parseTraceState(state.serialize())?.serialize();
      if (header !== undefined && header !== '') setter.set(carrier, TRACESTATE, header);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, TRACEPARENT);
    // a repeated traceparent is ambiguous: the W3C test suite expects a fresh trace
    if (Array.isArray(header) && header.length !== 1) return context;
    const parsed = parseTraceparent(firstHeader(header));
    if (parsed === undefined) return context;
    // A tracestate that breaks the specification's rules is discarded whole; the traceparent stays.
    const traceState = parseTraceState(getter.get(carrier, TRACESTATE));
    return withRemoteParent(context, parsed.traceId, parsed.spanId, parsed.traceFlags, traceState);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}
