// OTLP/JSON (TracesData, ExportTraceServiceRequest, or Jaeger's /api/v3 `{result: …}`) → RawSpan.
import { layerOf } from './layers.js';
import { type Attr, type AttrValue, NONE, newSpan, type RawSpan, type SpanLink } from './types.js';

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: { timeUnixNano?: string | number; name?: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
  instrumentationLibrarySpans?: {
    instrumentationLibrary?: { name?: string; version?: string };
    spans?: OtlpSpan[];
  }[];
}

const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

export function otlpValue(v: OtlpAnyValue | undefined): AttrValue {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') return v as AttrValue;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(otlpValue);
  if (v.kvlistValue !== undefined) {
    const o: Record<string, AttrValue> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = otlpValue(kv.value);
    return o;
  }
  return undefined;
}

/**
 * Attributes as plain values. The parsed KeyValue objects are reused (their `value` replaced), so
 * a 100,000-span trace does not allocate a second object per attribute.
 */
export function otlpAttrs(kvs: readonly OtlpKeyValue[] | undefined): Attr[] {
  if (kvs === undefined || kvs.length === 0) return NONE as unknown as Attr[];
  const out = kvs as unknown as Attr[];
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i] as { key: string; value: unknown };
    kv.value = otlpValue(kv.value as OtlpAnyValue | undefined);
  }
  return out;
}

/** ns since the epoch (decimal string or number) → µs, exact for any real date. */
export function nanosToMicros(v: string | number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return Math.floor(v / 1000);
  return v.length > 3 ? Number(v.slice(0, -3)) : 0;
}

/** OTLP ids are hex in OTLP/JSON; some producers write base64 (the protobuf JSON mapping). */
export function normaliseId(id: string | undefined, bytes: number): string {
  if (id === undefined || id === '') return '';
  // hex of the right length (the usual case): base64 of the same bytes is never that long
  if (id.length === bytes * 2) return id.toLowerCase();
  if (/^[0-9a-fA-F]+$/.test(id) && id.length < bytes * 2) return id.toLowerCase().padStart(bytes * 2, '0');
  try {
    const bin = atob(id);
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return id.toLowerCase();
  }
}

function kindName(k: number | string | undefined): string {
  if (typeof k === 'number') return KINDS[k] ?? '';
  if (typeof k === 'string')
    return k
      .replace(/^SPAN_KIND_/, '')
      .toLowerCase()
      .replace('unspecified', '');
  return '';
}

function statusName(c: number | string | undefined): string {
  if (c === 2 || c === 'STATUS_CODE_ERROR' || c === 'ERROR') return 'ERROR';
  if (c === 1 || c === 'STATUS_CODE_OK' || c === 'OK') return 'OK';
  return 'UNSET';
}

function str(attrs: readonly Attr[], key: string): string {
  for (const a of attrs) if (a.key === key) return String(a.value ?? '');
  return '';
}

function linkOf(l: { traceId: string; spanId: string; attributes?: OtlpKeyValue[] }): SpanLink {
  const attributes = otlpAttrs(l.attributes);
  return {
    traceID: normaliseId(l.traceId, 16),
    spanID: normaliseId(l.spanId, 8),
    refType: str(attributes, 'opentracing.ref_type').toLowerCase(),
    linkType: str(attributes, 'crosstrace.link.type'),
    attributes,
  };
}

/** True when `doc` looks like OTLP/JSON. */
export function isOtlpDocument(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object') return false;
  const d = doc as Record<string, unknown>;
  const inner = (d.result ?? d) as Record<string, unknown>;
  return Array.isArray(inner.resourceSpans);
}

/** Every span of an OTLP/JSON document (spans of several traces may be mixed). */
export function spansFromOtlp(doc: unknown): RawSpan[] {
  const d = doc as { result?: { resourceSpans?: OtlpResourceSpans[] }; resourceSpans?: OtlpResourceSpans[] };
  const resourceSpans = d.result?.resourceSpans ?? d.resourceSpans ?? [];
  const out: RawSpan[] = [];
  for (const rs of resourceSpans) {
    const resource = otlpAttrs(rs.resource?.attributes);
    const service = str(resource, 'service.name') || 'unknown_service';
    const scopes = [
      ...(rs.scopeSpans ?? []).map((s) => ({ scope: s.scope, spans: s.spans })),
      ...(rs.instrumentationLibrarySpans ?? []).map((s) => ({
        scope: s.instrumentationLibrary,
        spans: s.spans,
      })),
    ];
    for (const ss of scopes) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        const attributes = otlpAttrs(s.attributes);
        const startUs = nanosToMicros(s.startTimeUnixNano);
        const endUs = nanosToMicros(s.endTimeUnixNano);
        out.push(
          newSpan({
            traceID: normaliseId(s.traceId, 16),
            spanID: normaliseId(s.spanId, 8),
            parentSpanID: normaliseId(s.parentSpanId, 8),
            name: s.name ?? '',
            kind: kindName(s.kind),
            startUs,
            durationUs: Math.max(0, endUs - startUs),
            service,
            layer: layerOf(attributes, resource, service),
            attributes,
            resource,
            scope,
            events:
              s.events === undefined || s.events.length === 0
                ? (NONE as unknown as RawSpan['events'])
                : s.events.map((e) => ({
                    timeUs: nanosToMicros(e.timeUnixNano),
                    name: e.name ?? '',
                    attributes: otlpAttrs(e.attributes),
                  })),
            links:
              s.links === undefined || s.links.length === 0
                ? (NONE as unknown as SpanLink[])
                : s.links.map(linkOf),
            statusCode: statusName(s.status?.code),
            statusMessage: s.status?.message ?? '',
          }),
        );
      }
    }
  }
  return out;
}
