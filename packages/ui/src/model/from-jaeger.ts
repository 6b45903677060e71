// Jaeger JSON (the `/api/traces` envelope, a trace, or a list of traces, as jaeger-ui downloads
// them) → RawSpan. Tags that Jaeger derives from OTLP (span.kind, otel.status_code, error) become
// the span's kind and status again.
import { layerOf } from './layers.js';
import { type Attr, type AttrValue, newSpan, type RawSpan, type SpanLink } from './types.js';

interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName?: string;
  references?: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags?: JaegerKeyValue[];
  logs?: { timestamp: number; fields?: JaegerKeyValue[] }[];
  processID?: string;
  process?: { serviceName: string; tags?: JaegerKeyValue[] };
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes?: Record<string, { serviceName: string; tags?: JaegerKeyValue[] }>;
}

function value(kv: JaegerKeyValue): AttrValue {
  const v = kv.value;
  if (kv.type === 'int64' || kv.type === 'float64') return typeof v === 'string' ? Number(v) : (v as number);
  if (kv.type === 'bool') return v === true || v === 'true';
  return v as AttrValue;
}

function attrs(kvs: readonly JaegerKeyValue[] | undefined): Attr[] {
  return (kvs ?? []).map((kv) => ({ key: kv.key, value: value(kv) }));
}

function id(v: string, bytes: number): string {
  return v.toLowerCase().padStart(bytes * 2, '0');
}

const DERIVED = new Set(['span.kind', 'otel.status_code', 'otel.status_description']);

function toRaw(trace: JaegerTrace, s: JaegerSpan): RawSpan {
  const process = s.process ?? (s.processID ? trace.processes?.[s.processID] : undefined);
  const service = process?.serviceName ?? 'unknown_service';
  const resource = [{ key: 'service.name', value: service }, ...attrs(process?.tags)];
  const all = attrs(s.tags);
  let kind = '';
  let statusCode = 'UNSET';
  let statusMessage = '';
  let error = false;
  const attributes: Attr[] = [];
  for (const a of all) {
    if (a.key === 'span.kind') kind = String(a.value);
    else if (a.key === 'otel.status_code') statusCode = String(a.value).toUpperCase();
    else if (a.key === 'otel.status_description') statusMessage = String(a.value);
    if (a.key === 'error' && (a.value === true || a.value === 'true')) error = true;
    if (!DERIVED.has(a.key)) attributes.push(a);
  }
  if (error && statusCode === 'UNSET') statusCode = 'ERROR';
  const refs = s.references ?? [];
  const parent = refs.find((r) => r.refType === 'CHILD_OF' && id(r.traceID, 16) === id(s.traceID, 16));
  const links: SpanLink[] = refs
    .filter((r) => r !== parent)
    .map((r) => ({
      traceID: id(r.traceID, 16),
      spanID: id(r.spanID, 8),
      refType: r.refType.toLowerCase(),
      linkType: '',
      attributes: [{ key: 'opentracing.ref_type', value: r.refType.toLowerCase() }],
    }));
  return newSpan({
    traceID: id(s.traceID, 16),
    spanID: id(s.spanID, 8),
    parentSpanID: parent ? id(parent.spanID, 8) : '',
    name: s.operationName ?? '',
    kind,
    startUs: s.startTime,
    durationUs: s.duration,
    service,
    layer: layerOf(attributes, resource, service),
    attributes,
    resource,
    scope: {
      name: String(all.find((a) => a.key === 'otel.scope.name')?.value ?? ''),
      version: String(all.find((a) => a.key === 'otel.scope.version')?.value ?? ''),
    },
    events: (s.logs ?? []).map((l) => {
      const fields = attrs(l.fields);
      const ev = fields.find((f) => f.key === 'event');
      return {
        timeUs: l.timestamp,
        name: ev ? String(ev.value) : 'log',
        attributes: fields.filter((f) => f !== ev),
      };
    }),
    links,
    statusCode,
    statusMessage,
  });
}

function tracesOf(doc: unknown): JaegerTrace[] {
  if (Array.isArray(doc)) return doc as JaegerTrace[];
  const d = doc as { data?: JaegerTrace[]; spans?: JaegerSpan[] };
  if (Array.isArray(d.data)) return d.data;
  if (Array.isArray(d.spans)) return [d as JaegerTrace];
  return [];
}

/** True when `doc` looks like Jaeger JSON. */
export function isJaegerDocument(doc: unknown): boolean {
  const traces = tracesOf(doc);
  return traces.length > 0 && traces.every((t) => t && Array.isArray(t.spans));
}

/** Every span of a Jaeger JSON document. */
export function spansFromJaeger(doc: unknown): RawSpan[] {
  const out: RawSpan[] = [];
  for (const t of tracesOf(doc)) for (const s of t.spans) out.push(toRaw(t, s));
  return out;
}
