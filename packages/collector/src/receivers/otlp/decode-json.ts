// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) into the collector's
// span model: ids are hex (either case), enums integers (names accepted too), int64 a decimal string
// or a number, field names lowerCamelCase (the proto's snake_case accepted, as protobuf JSON
// parsers do), unknown fields ignored.
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '../../model/span.js';
import type { DecodeResult } from './decode-result.js';
import { EMPTY_RESOURCE, EMPTY_SCOPE, layerOf, SpanAdmission, serviceNameOf } from './span-builder.js';

class JsonShapeError extends Error {}

type Obj = Record<string, unknown>;

const MAX_DEPTH = 32;
const HEX = /^[0-9a-fA-F]*$/;
const UINT = /^[0-9]+$/;
const INT = /^-?[0-9]+$/;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

function field(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel];
  return v === undefined ? o[snake] : v;
}

function obj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new JsonShapeError(`${path}: expected an object`);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`${path}: expected an array`);
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new JsonShapeError(`${path}: expected a string`);
  return v;
}

function u32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && UINT.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new JsonShapeError(`${path}: expected an unsigned 32-bit integer`);
  }
  return n;
}

const FIXED64_MAX = 2n ** 64n - 1n;

/** A fixed64: beyond its range the message is malformed (a span past int64 is refused later, alone). */
function nanos(v: unknown, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  let n: bigint | undefined;
  if (typeof v === 'string' && UINT.test(v) && v.length <= 40) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v);
  if (n === undefined || n > FIXED64_MAX)
    throw new JsonShapeError(`${path}: expected an unsigned 64-bit integer (string or number)`);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int64(v: unknown, path: string): string {
  let n: bigint | undefined;
  if (typeof v === 'string' && INT.test(v) && v.length <= 40) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX)
    throw new JsonShapeError(`${path}: expected a 64-bit integer (string or number)`);
  return n.toString();
}

function enumValue(v: unknown, names: Record<string, number>, max: number, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v >= 0 && v <= max ? v : 0;
  if (typeof v === 'string' && names[v] !== undefined) return names[v];
  throw new JsonShapeError(`${path}: expected an enum integer`);
}

/** Hex id → lowercase; a non-hex id becomes '?' so that the span is refused, not the request. */
function id(v: unknown, path: string): string {
  const s = str(v, path);
  return HEX.test(s) ? s.toLowerCase() : '?';
}

function anyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new JsonShapeError(`${path}: nested too deeply`);
  const o = obj(v, path);
  if (o === undefined) return {};
  if (o.stringValue !== undefined || o.string_value !== undefined) {
    return { stringValue: str(field(o, 'stringValue', 'string_value'), `${path}.stringValue`) };
  }
  const b = field(o, 'boolValue', 'bool_value');
  if (b !== undefined) {
    if (typeof b !== 'boolean') throw new JsonShapeError(`${path}.boolValue: expected a boolean`);
    return { boolValue: b };
  }
  const i = field(o, 'intValue', 'int_value');
  if (i !== undefined) return { intValue: int64(i, `${path}.intValue`) };
  const d = field(o, 'doubleValue', 'double_value');
  if (d !== undefined) {
    if (typeof d === 'number') return { doubleValue: d };
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return { doubleValue: Number(d) };
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d)))
      return { doubleValue: Number(d) };
    throw new JsonShapeError(`${path}.doubleValue: expected a number`);
  }
  const a = field(o, 'arrayValue', 'array_value');
  if (a !== undefined) {
    const ao = obj(a, `${path}.arrayValue`) ?? {};
    return {
      arrayValue: {
        values: arr(ao.values, `${path}.arrayValue.values`).map((x, n) =>
          anyValue(x, `${path}.arrayValue.values[${n}]`, depth + 1),
        ),
      },
    };
  }
  const k = field(o, 'kvlistValue', 'kvlist_value');
  if (k !== undefined) {
    const ko = obj(k, `${path}.kvlistValue`) ?? {};
    return { kvlistValue: { values: keyValues(ko.values, `${path}.kvlistValue.values`, depth + 1) } };
  }
  const by = field(o, 'bytesValue', 'bytes_value');
  if (by !== undefined) return { bytesValue: str(by, `${path}.bytesValue`) };
  return {};
}

function keyValues(v: unknown, path: string, depth = 0): KeyValue[] {
  const items = arr(v, path);
  const out: KeyValue[] = new Array(items.length);
  for (let n = 0; n < items.length; n++) {
    const p = `${path}[${n}]`;
    const kv = obj(items[n], p) ?? {};
    out[n] = { key: str(kv.key, `${p}.key`), value: anyValue(kv.value, `${p}.value`, depth) };
  }
  return out;
}

function resource(v: unknown, path: string): Resource {
  const o = obj(v, path);
  if (o === undefined) return EMPTY_RESOURCE;
  return {
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: u32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), path),
  };
}

function scope(v: unknown, path: string): InstrumentationScope {
  const o = obj(v, path);
  if (o === undefined) return EMPTY_SCOPE;
  return {
    name: str(o.name, `${path}.name`),
    version: str(o.version, `${path}.version`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
  };
}

function event(v: unknown, path: string): SpanEvent {
  const o = obj(v, path) ?? {};
  return {
    timeUnixNano: nanos(field(o, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    name: str(o.name, `${path}.name`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: u32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), path),
  };
}

function link(v: unknown, path: string): SpanLink {
  const o = obj(v, path) ?? {};
  return {
    traceId: id(field(o, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: id(field(o, 'spanId', 'span_id'), `${path}.spanId`),
    traceState: str(field(o, 'traceState', 'trace_state'), `${path}.traceState`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: u32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), path),
    flags: u32(o.flags, `${path}.flags`),
  };
}

function span(v: unknown, path: string, res: Resource, sc: InstrumentationScope, serviceName: string): Span {
  const o = obj(v, path) ?? {};
  const st = obj(o.status, `${path}.status`) ?? {};
  let parentSpanId = id(field(o, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`);
  if (parentSpanId === '0000000000000000') parentSpanId = '';
  const attributes = keyValues(o.attributes, `${path}.attributes`);
  return {
    traceId: id(field(o, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: id(field(o, 'spanId', 'span_id'), `${path}.spanId`),
    parentSpanId,
    traceState: str(field(o, 'traceState', 'trace_state'), `${path}.traceState`),
    flags: u32(o.flags, `${path}.flags`),
    name: str(o.name, `${path}.name`),
    kind: enumValue(o.kind, SPAN_KINDS, 5, `${path}.kind`) as SpanKind,
    startTimeUnixNano: nanos(
      field(o, 'startTimeUnixNano', 'start_time_unix_nano'),
      `${path}.startTimeUnixNano`,
    ),
    endTimeUnixNano: nanos(field(o, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes,
    droppedAttributesCount: u32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), path),
    events: arr(o.events, `${path}.events`).map((e, n) => event(e, `${path}.events[${n}]`)),
    droppedEventsCount: u32(field(o, 'droppedEventsCount', 'dropped_events_count'), path),
    links: arr(o.links, `${path}.links`).map((l, n) => link(l, `${path}.links[${n}]`)),
    droppedLinksCount: u32(field(o, 'droppedLinksCount', 'dropped_links_count'), path),
    status: {
      code: enumValue(st.code, STATUS_CODES, 2, `${path}.status.code`) as StatusCode,
      message: str(st.message, `${path}.status.message`),
    },
    resource: res,
    scope: sc,
    serviceName,
    layer: layerOf(attributes, res),
  };
}

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest` that has already been parsed with JSON.parse.
 * Never throws.
 *
 * @example
 * const result = decodeTracesJson(JSON.parse(body));
 */
export function decodeTracesJson(value: unknown): DecodeResult {
  const admission = new SpanAdmission();
  try {
    const root = obj(value, 'request');
    if (root === undefined) return { ok: false, reason: 'request: expected an object' };
    const rss = arr(field(root, 'resourceSpans', 'resource_spans'), 'resourceSpans');
    for (let i = 0; i < rss.length; i++) {
      const rp = `resourceSpans[${i}]`;
      const rs = obj(rss[i], rp) ?? {};
      const res = resource(rs.resource, `${rp}.resource`);
      const serviceName = serviceNameOf(res);
      const sss = arr(field(rs, 'scopeSpans', 'scope_spans'), `${rp}.scopeSpans`);
      for (let j = 0; j < sss.length; j++) {
        const sp = `${rp}.scopeSpans[${j}]`;
        const ss = obj(sss[j], sp) ?? {};
        const sc = scope(ss.scope, `${sp}.scope`);
        const list = arr(ss.spans, `${sp}.spans`);
        for (let k = 0; k < list.length; k++) {
          admission.admit(span(list[k], `${sp}.spans[${k}]`, res, sc, serviceName));
        }
      }
    }
  } catch (err) {
    if (err instanceof JsonShapeError) return { ok: false, reason: `malformed OTLP/JSON: ${err.message}` };
    return { ok: false, reason: `malformed OTLP/JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return {
    ok: true,
    spans: admission.spans,
    rejectedSpans: admission.rejected,
    rejectedReason: admission.reason(),
  };
}
