import {
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { firstHeader, isValidSpanContext, normalizeHexId } from './hex.js';
import { withRemoteParent } from './remote-context.js';

export const UBER_TRACE_ID = 'uber-trace-id';
export const UBER_BAGGAGE_PREFIX = 'uberctx-';

function decode(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Jaeger propagation: `uber-trace-id: {trace}:{span}:{parent}:{flags}` (ids without leading zeros
 * are padded; the value may be URL-encoded) and `uberctx-{key}` baggage headers.
 *
 * @example
 * const p = new JaegerPropagator();
 */
export class JaegerPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (sc !== undefined && isValidSpanContext(sc)) {
      setter.set(
        carrier,
        UBER_TRACE_ID,
        `${sc.traceId}:${sc.spanId}:0:${(sc.traceFlags & 1) === 1 ? '1' : '0'}`,
      );
    }
    const baggage = propagation.getBaggage(context);
    if (baggage !== undefined) {
      for (const [key, entry] of baggage.getAllEntries()) {
        setter.set(carrier, `${UBER_BAGGAGE_PREFIX}${key}`, encodeURIComponent(entry.value));
      }
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ctx = context;
    const raw = firstHeader(getter.get(carrier, UBER_TRACE_ID));
    const header = raw === undefined ? undefined : decode(raw.trim());
    if (header !== undefined) {
      const parts = header.split(':');
      if (parts.length === 4) {
        const traceId = normalizeHexId(parts[0], 32);
        const spanId = normalizeHexId(parts[1], 16);
        const flags = Number.parseInt(parts[3], 16);
        if (traceId !== undefined && spanId !== undefined && Number.isInteger(flags)) {
          ctx = withRemoteParent(ctx, traceId, spanId, flags & 1);
        }
      }
    }
    const keys = getter.keys(carrier);
    let baggage = propagation.getBaggage(ctx);
    for (const key of keys) {
      if (key.length <= UBER_BAGGAGE_PREFIX.length || key.slice(0, 8).toLowerCase() !== UBER_BAGGAGE_PREFIX)
        continue;
      const v = firstHeader(getter.get(carrier, key));
      const value = v === undefined ? undefined : decode(v);
      if (value === undefined) continue;
      baggage = (baggage ?? propagation.createBaggage()).setEntry(
        key.slice(UBER_BAGGAGE_PREFIX.length).toLowerCase(),
        {
          value,
        },
      );
    }
    return baggage === undefined ? ctx : propagation.setBaggage(ctx, baggage);
  }

  fields(): string[] {
    return [UBER_TRACE_ID];
  }
}
