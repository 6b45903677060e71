// Spans → OTLP/JSON TracesData (hex ids, int64 as strings, enums as integers), grouped by resource
// and scope as Jaeger's /api/v3 returns them. Every span carries `crosstrace.layer`.
import type { AnyValue, InstrumentationScope, KeyValue, Resource, Span } from '../../model/span.js';

type Json = unknown;

function value(v: AnyValue): Json {
  if (v.doubleValue !== undefined && !Number.isFinite(v.doubleValue))
    return { doubleValue: String(v.doubleValue) };
  if (v.arrayValue !== undefined) return { arrayValue: { values: v.arrayValue.values.map(value) } };
  if (v.kvlistValue !== undefined) return { kvlistValue: { values: attributes(v.kvlistValue.values) } };
  return v;
}

function attributes(attrs: readonly KeyValue[]): Json[] {
  return attrs.map((kv) => ({ key: kv.key, value: value(kv.value) }));
}

function withCounts(o: Record<string, Json>, counts: Record<string, number>): Record<string, Json> {
  for (const [k, n] of Object.entries(counts)) if (n > 0) o[k] = n;
  return o;
}

function span(s: Span): Json {
  const attrs = s.attributes.some((kv) => kv.key === 'crosstrace.layer')
    ? s.attributes
    : [...s.attributes, { key: 'crosstrace.layer', value: { stringValue: s.layer } }];
  const out: Record<string, Json> = {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
  };
  if (s.traceState !== '') out.traceState = s.traceState;
  if (s.flags !== 0) out.flags = s.flags;
  out.name = s.name;
  out.kind = s.kind;
  out.startTimeUnixNano = s.startTimeUnixNano.toString();
  out.endTimeUnixNano = s.endTimeUnixNano.toString();
  out.attributes = attributes(attrs);
  if (s.events.length > 0) {
    out.events = s.events.map((e) =>
      withCounts(
        { timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: attributes(e.attributes) },
        { droppedAttributesCount: e.droppedAttributesCount },
      ),
    );
  }
  if (s.links.length > 0) {
    out.links = s.links.map((l) => {
      const o: Record<string, Json> = { traceId: l.traceId, spanId: l.spanId };
      if (l.traceState !== '') o.traceState = l.traceState;
      o.attributes = attributes(l.attributes);
      if (l.flags !== 0) o.flags = l.flags;
      return withCounts(o, { droppedAttributesCount: l.droppedAttributesCount });
    });
  }
  withCounts(out, {
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
  });
  const status: Record<string, Json> = {};
  if (s.status.message !== '') status.message = s.status.message;
  if (s.status.code !== 0) status.code = s.status.code;
  out.status = status;
  return out;
}

/** `{ resourceSpans: [...] }` for any spans (of one or many traces), in the given order. */
export function toOtlpTracesData(spans: readonly Span[]): { resourceSpans: Json[] } {
  const byResource = new Map<Resource, Map<InstrumentationScope, Span[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (scopes === undefined) {
      scopes = new Map();
      byResource.set(s.resource, scopes);
    }
    const list = scopes.get(s.scope);
    if (list === undefined) scopes.set(s.scope, [s]);
    else list.push(s);
  }
  const resourceSpans: Json[] = [];
  for (const [resource, scopes] of byResource) {
    resourceSpans.push({
      resource: withCounts(
        { attributes: attributes(resource.attributes) },
        { droppedAttributesCount: resource.droppedAttributesCount },
      ),
      scopeSpans: [...scopes].map(([scope, list]) => {
        const sc: Record<string, Json> = {};
        if (scope.name !== '') sc.name = scope.name;
        if (scope.version !== '') sc.version = scope.version;
        if (scope.attributes.length > 0) sc.attributes = attributes(scope.attributes);
        return { scope: sc, spans: list.map(span) };
      }),
    });
  }
  return { resourceSpans };
}
