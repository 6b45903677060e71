// Span factories for storage and query tests.
import type { InstrumentationScope, KeyValue, Resource, Span } from '../../src/model/span.js';

export function resourceOf(service: string, extra: Record<string, string> = {}): Resource {
  const attributes: KeyValue[] = [{ key: 'service.name', value: { stringValue: service } }];
  for (const [key, v] of Object.entries(extra)) attributes.push({ key, value: { stringValue: v } });
  return { attributes, droppedAttributesCount: 0 };
}

export const testScope: InstrumentationScope = { name: 'test-scope', version: '1.2.3', attributes: [] };

let counter = 0;

/** A random-looking 16-byte trace id in lowercase hex, unique per call. */
export function newTraceId(): string {
  counter++;
  return (counter.toString(16).padStart(8, '0') + Math.random().toString(16).slice(2, 10)).padEnd(32, 'a');
}

export function newSpanId(): string {
  counter++;
  return (counter.toString(16).padStart(6, '0') + Math.random().toString(16).slice(2, 12))
    .padEnd(16, 'b')
    .slice(0, 16);
}

/** Epoch ns of `ms` milliseconds after a fixed base time (2026-01-01T00:00:00Z). */
export const BASE_MS = Date.UTC(2026, 0, 1);
export function ns(ms: number): bigint {
  return BigInt(BASE_MS + ms) * 1_000_000n;
}

export function makeSpan(over: Partial<Span> & { service?: string } = {}): Span {
  const { service, ...rest } = over;
  const resource = rest.resource ?? resourceOf(service ?? 'frontend');
  const serviceName = service ?? rest.serviceName ?? 'frontend';
  return {
    traceId: newTraceId(),
    spanId: newSpanId(),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: ns(0),
    endTimeUnixNano: ns(5),
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource,
    scope: testScope,
    serviceName,
    layer: 'app',
    ...rest,
  };
}
