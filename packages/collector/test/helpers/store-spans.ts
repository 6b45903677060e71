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

/** A span with every field set and every kind of attribute value (int64 beyond 2^53, NaN, bytes, arrays, maps). */
export function richSpan(): Span {
  const traceId = newTraceId();
  return makeSpan({
    traceId,
    spanId: newSpanId(),
    parentSpanId: newSpanId(),
    traceState: 'vendor=1',
    flags: 257,
    name: 'GET /dispatch',
    kind: 3,
    startTimeUnixNano: 1767225600123456789n,
    endTimeUnixNano: 1767225600223456790n,
    attributes: [
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'http.status_code', value: { intValue: '9007199254740993' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'whole', value: { doubleValue: 2 } },
      { key: 'nan', value: { doubleValue: Number.NaN } },
      { key: 'ok', value: { boolValue: false } },
      { key: 'raw', value: { bytesValue: 'AQID' } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
      { key: 'empty', value: {} },
    ],
    droppedAttributesCount: 2,
    events: [
      {
        timeUnixNano: 1767225600150000001n,
        name: 'exception',
        attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 3,
    links: [
      {
        traceId: newTraceId(),
        spanId: newSpanId(),
        traceState: 'x=y',
        attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }],
        droppedAttributesCount: 0,
        flags: 1,
      },
    ],
    droppedLinksCount: 4,
    status: { code: 2, message: 'upstream failed' },
    resource: resourceOf('driver', { 'k8s.pod.name': 'driver-7d9f', 'k8s.namespace.name': 'hotrod' }),
    scope: {
      name: 'my-lib',
      version: '0.1.0',
      attributes: [{ key: 'scope.attr', value: { stringValue: 's' } }],
    },
    serviceName: 'driver',
    layer: 'ingress',
  });
}
