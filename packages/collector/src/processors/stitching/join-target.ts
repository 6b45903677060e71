import { contextFromRequestId, REQUEST_ID_ATTRIBUTE } from '@crosstrace/contract';
import { traceIdFromAuditId } from '../../controlplane/ids.js';
import { getStringAttribute } from '../../model/attributes.js';
import type { KeyValue, Span } from '../../model/span.js';
import { SpanKind } from '../../model/span.js';

/** The X-Request-ID an app span recorded (`REQUEST_ID_ATTRIBUTE`), if any. */
export function requestIdOf(s: Span): string | undefined {
  return requestIdIn(s.attributes) ?? requestIdIn(s.resource.attributes);
}

/** The first `REQUEST_ID_ATTRIBUTE` of `attrs`: a non-empty string, or an array's first such string. */
function requestIdIn(attrs: readonly KeyValue[]): string | undefined {
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i].key !== REQUEST_ID_ATTRIBUTE) continue;
    const v = attrs[i].value;
    if (v.stringValue !== undefined) return v.stringValue === '' ? undefined : v.stringValue;
    const first = v.arrayValue?.values[0]?.stringValue;
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}

/** Whether `attrs` has an attribute named `key`. */
function has(attrs: readonly KeyValue[], key: string): boolean {
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return true;
  return false;
}

/** The join a span's own data asks for: its audit id (a kube-apiserver span), or an app root's X-Request-ID. */
export type JoinTarget =
  | { kind: 'audit'; auditId: string }
  | { kind: 'request-id'; traceId: string; spanId: string };

/**
 * The trace a span's own data moves it to (audit id, X-Request-ID), if any: what the stitching
 * processor joins on, and what an agent routes such a span by so that it meets its trace.
 */
export function joinTargetOf(s: Span): JoinTarget | undefined {
  const auditId = has(s.attributes, 'audit-id') ? getStringAttribute(s.attributes, 'audit-id') : '';
  if (auditId && s.scope.name !== '@crosstrace/collector/k8s-audit') return { kind: 'audit', auditId };
  if (
    s.kind === SpanKind.Server &&
    s.parentSpanId === '' &&
    s.layer !== 'ingress' &&
    s.layer !== 'control-plane'
  ) {
    const rid = requestIdOf(s);
    const ctx = rid === undefined ? undefined : contextFromRequestId(rid);
    if (ctx !== undefined) return { kind: 'request-id', traceId: ctx.traceId, spanId: ctx.spanId };
  }
  return undefined;
}

/** The trace id of a join target. */
export function joinTraceId(t: JoinTarget): string {
  return t.kind === 'audit' ? traceIdFromAuditId(t.auditId) : t.traceId;
}
