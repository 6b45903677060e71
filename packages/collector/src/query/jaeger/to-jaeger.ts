// Span → Jaeger JSON, following Jaeger's OTLP translation: span kind, status and scope become
// tags, events become logs (name in the `event` field), the parent and OpenTracing references
// become references, resource attributes become the process tags.
import { toPlain } from '../../model/attributes.js';
import type { AnyValue, KeyValue, Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import { linkRefType, spanKindName } from '../../storage/matching.js';
import type {
  JaegerKeyValue,
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTrace,
} from './jaeger-model.js';

const LAYER_KEY = 'crosstrace.layer';

export function toJaegerValue(key: string, v: AnyValue): JaegerKeyValue {
  if (v.stringValue !== undefined) return { key, type: 'string', value: v.stringValue };
  if (v.boolValue !== undefined) return { key, type: 'bool', value: v.boolValue };
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    // Beyond 2^53 a JSON number would lose digits; Jaeger sends those as strings too.
    return { key, type: 'int64', value: Number.isSafeInteger(n) ? n : v.intValue };
  }
  if (v.doubleValue !== undefined) {
    return {
      key,
      type: 'float64',
      value: Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue),
    };
  }
  if (v.bytesValue !== undefined) return { key, type: 'binary', value: v.bytesValue };
  // Arrays and maps are flattened to JSON text, as Jaeger's translator does.
  return { key, type: 'string', value: JSON.stringify(toPlain(v)) ?? '' };
}

function toJaegerTags(attrs: readonly KeyValue[]): JaegerKeyValue[] {
  return attrs.map((kv) => toJaegerValue(kv.key, kv.value));
}

/** Microseconds (Jaeger's unit) from nanoseconds, truncated. */
export function nanosToMicros(ns: bigint): number {
  return Number(ns / 1000n);
}

function spanTags(s: Span): JaegerKeyValue[] {
  const tags = toJaegerTags(s.attributes);
  const has = (key: string) => s.attributes.some((kv) => kv.key === key);
  if (s.scope.name !== '') tags.push({ key: 'otel.scope.name', type: 'string', value: s.scope.name });
  if (s.scope.version !== '')
    tags.push({ key: 'otel.scope.version', type: 'string', value: s.scope.version });
  const kind = spanKindName(s.kind);
  if (kind !== '' && !has('span.kind')) tags.push({ key: 'span.kind', type: 'string', value: kind });
  if (s.status.code === StatusCode.Error) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    if (!has('error')) tags.push({ key: 'error', type: 'bool', value: true });
    if (s.status.message !== '') {
      tags.push({ key: 'otel.status_description', type: 'string', value: s.status.message });
    }
  } else if (s.status.code === StatusCode.Ok) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  }
  if (s.traceState !== '') tags.push({ key: 'w3c.tracestate', type: 'string', value: s.traceState });
  if (!has(LAYER_KEY)) tags.push({ key: LAYER_KEY, type: 'string', value: s.layer });
  return tags;
}

function references(s: Span): JaegerReference[] {
  const refs: JaegerReference[] = [];
  if (s.parentSpanId !== '') refs.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId });
  for (const l of s.links) {
    const type = linkRefType(l);
    if (type === 'child_of') {
      if (l.traceId === s.traceId && l.spanId === s.parentSpanId) continue;
      const ref: JaegerReference = { refType: 'CHILD_OF', traceID: l.traceId, spanID: l.spanId };
      // The parent (first CHILD_OF) goes first.
      if (s.parentSpanId === '' && !refs.some((r) => r.refType === 'CHILD_OF')) refs.unshift(ref);
      else refs.push(ref);
    } else {
      refs.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
    }
  }
  return refs;
}

function processKey(s: Span): string {
  return JSON.stringify([s.serviceName, s.resource.attributes]);
}

function toProcess(s: Span): JaegerProcess {
  return {
    serviceName: s.serviceName,
    tags: toJaegerTags(s.resource.attributes.filter((kv) => kv.key !== 'service.name')),
  };
}

/** One Jaeger trace from the spans of one trace (any order; output sorted by start time). */
export function toJaegerTrace(traceId: string, spans: readonly Span[]): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const processIds = new Map<object, string>();
  const byKey = new Map<string, string>();
  const sorted = [...spans].sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0,
  );
  const out: JaegerSpan[] = sorted.map((s) => {
    let pid = processIds.get(s.resource);
    if (pid === undefined) {
      const key = processKey(s);
      pid = byKey.get(key);
      if (pid === undefined) {
        pid = `p${byKey.size + 1}`;
        byKey.set(key, pid);
        processes[pid] = toProcess(s);
      }
      processIds.set(s.resource, pid);
    }
    return {
      traceID: s.traceId,
      spanID: s.spanId,
      // Jaeger's flags are the W3C trace flags (sampled, debug); OTLP's bits 8-9 (is-remote) are not.
      flags: s.flags & 0xff,
      operationName: s.name,
      references: references(s),
      startTime: nanosToMicros(s.startTimeUnixNano),
      duration: nanosToMicros(s.endTimeUnixNano - s.startTimeUnixNano),
      tags: spanTags(s),
      logs: s.events.map((e) => ({
        timestamp: nanosToMicros(e.timeUnixNano),
        fields: [{ key: 'event', type: 'string', value: e.name }, ...toJaegerTags(e.attributes)],
      })),
      processID: pid,
      warnings: null,
    };
  });
  return { traceID: traceId, spans: out, processes, warnings: null };
}
