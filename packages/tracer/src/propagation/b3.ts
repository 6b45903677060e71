import {
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { firstHeader, isValidSpanContext, normalizeHexId } from './hex.js';
import { withRemoteParent } from './remote-context.js';

const B3 = 'b3';
const TRACE_ID = 'x-b3-traceid';
const SPAN_ID = 'x-b3-spanid';
const SAMPLED = 'x-b3-sampled';
const FLAGS = 'x-b3-flags';
const PARENT = 'x-b3-parentspanid';

function sampledFrom(value: string | undefined, debug: string | undefined): number | undefined {
  if (debug === '1') return 1;
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'd' || v === 'true') return 1;
  if (v === '0' || v === 'false') return 0;
  return undefined;
}

function extractSingle(context: Context, header: string | undefined): Context | undefined {
  if (header === undefined) return undefined;
  const parts = header.trim().split('-');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const traceId = parts[0].length === 16 || parts[0].length === 32 ? normalizeHexId(parts[0], 32) : undefined;
  const spanId = parts[1].length === 16 ? normalizeHexId(parts[1], 16) : undefined;
  if (traceId === undefined || spanId === undefined) return undefined;
  const flags = parts.length >= 3 ? sampledFrom(parts[2], undefined) : undefined;
  if (parts.length >= 3 && flags === undefined) return undefined;
  return withRemoteParent(context, traceId, spanId, flags ?? 0);
}

function extractMulti(context: Context, carrier: unknown, getter: TextMapGetter): Context {
  const rawTrace = firstHeader(getter.get(carrier, TRACE_ID));
  const rawSpan = firstHeader(getter.get(carrier, SPAN_ID));
  if (rawTrace === undefined || rawSpan === undefined) return context;
  const t = rawTrace.trim();
  const traceId = t.length === 16 || t.length === 32 ? normalizeHexId(t, 32) : undefined;
  const spanId = rawSpan.trim().length === 16 ? normalizeHexId(rawSpan, 16) : undefined;
  if (traceId === undefined || spanId === undefined) return context;
  const flags = sampledFrom(
    firstHeader(getter.get(carrier, SAMPLED)),
    firstHeader(getter.get(carrier, FLAGS)),
  );
  return withRemoteParent(context, traceId, spanId, flags ?? 0);
}

/**
 * Zipkin B3 propagation. `single` injects one `b3: {trace}-{span}-{sampled}` header, `multi` the
 * `X-B3-*` headers; both extract either form (single first). 64-bit trace ids are left-padded.
 *
 * @example
 * const p = new B3Propagator('multi');
 */
export class B3Propagator implements TextMapPropagator {
  readonly encoding: 'single' | 'multi';

  constructor(encoding: 'single' | 'multi' = 'single') {
    this.encoding = encoding;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (sc === undefined || !isValidSpanContext(sc)) return;
    const sampled = (sc.traceFlags & 1) === 1 ? '1' : '0';
    if (this.encoding === 'single') {
      setter.set(carrier, B3, `${sc.traceId}-${sc.spanId}-${sampled}`);
    } else {
      setter.set(carrier, TRACE_ID, sc.traceId);
      setter.set(carrier, SPAN_ID, sc.spanId);
      setter.set(carrier, SAMPLED, sampled);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return (
      extractSingle(context, firstHeader(getter.get(carrier, B3))) ?? extractMulti(context, carrier, getter)
    );
  }

  fields(): string[] {
    return this.encoding === 'single' ? [B3] : [TRACE_ID, SPAN_ID, SAMPLED, FLAGS, PARENT];
  }
}
