import { spanIdFromAuditId, traceIdFromAuditId } from '../../controlplane/ids.js';
import { isRecord } from '../../controlplane/k8s-types.js';
import { CONTROL_PLANE_LAYER } from '../../controlplane/lifecycle.js';
import { parseK8sTime } from '../../controlplane/time.js';
import { fromPlain } from '../../model/attributes.js';
import type { InstrumentationScope, Resource, Span, SpanEvent } from '../../model/span.js';
import { SpanKind, StatusCode } from '../../model/span.js';
import { VERSION } from '../../version.js';

const RESOURCE: Resource = Object.freeze({
  attributes: fromPlain({ 'service.name': 'kube-apiserver', 'crosstrace.layer': CONTROL_PLANE_LAYER }),
  droppedAttributesCount: 0,
}) as Resource;
const SCOPE: InstrumentationScope = Object.freeze({
  name: '@crosstrace/collector/k8s-audit',
  version: VERSION,
  attributes: [],
}) as InstrumentationScope;

const STAGE_ORDER: Record<string, number> = {
  RequestReceived: 0,
  ResponseStarted: 1,
  ResponseComplete: 2,
  Panic: 3,
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The span name of an audit event: `<verb> <resource>[/<subresource>]`, or `<verb> <path>` for non-resource URLs. */
export function auditSpanName(e: Record<string, unknown>): string {
  const verb = str(e.verb) ?? 'unknown';
  const ref = isRecord(e.objectRef) ? e.objectRef : undefined;
  const resource = str(ref?.resource);
  if (resource) {
    const sub = str(ref?.subresource);
    return `${verb} ${resource}${sub ? `/${sub}` : ''}`;
  }
  const uri = str(e.requestURI) ?? '';
  return `${verb} ${uri.split('?')[0]}`;
}

/**
 * One span per audit id from all its stages (any order): start = requestReceivedTimestamp, end =
 * the last stage's stageTimestamp; user, user agent, object reference and response code as
 * attributes, each stage as a span event. Ids derive from the audit id. Undefined when no stage
 * carries a usable time.
 */
export function auditSpan(auditId: string, stages: readonly Record<string, unknown>[]): Span | undefined {
  if (stages.length === 0) return undefined;
  const sorted = [...stages].sort((a, b) => {
    const ta = parseK8sTime(a.stageTimestamp) ?? 0n;
    const tb = parseK8sTime(b.stageTimestamp) ?? 0n;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (STAGE_ORDER[String(a.stage)] ?? 9) - (STAGE_ORDER[String(b.stage)] ?? 9);
  });
  const last = sorted[sorted.length - 1];
  let start: bigint | undefined;
  let end: bigint | undefined;
  const events: SpanEvent[] = [];
  const seenStages = new Set<string>();
  for (const s of sorted) {
    const received = parseK8sTime(s.requestReceivedTimestamp);
    if (received !== undefined && (start === undefined || received < start)) start = received;
    const at = parseK8sTime(s.stageTimestamp);
    if (at !== undefined && (end === undefined || at > end)) end = at;
    const stage = str(s.stage) ?? 'unknown';
    if (at !== undefined && !seenStages.has(stage)) {
      seenStages.add(stage);
      events.push({ timeUnixNano: at, name: stage, attributes: [], droppedAttributesCount: 0 });
    }
  }
  start ??= end;
  if (start === undefined || end === undefined) return undefined;
  if (end < start) end = start;
  const pick = (k: string) => {
    for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i][k] !== undefined) return sorted[i][k];
    return undefined;
  };
  const user = isRecord(pick('user')) ? (pick('user') as Record<string, unknown>) : {};
  const ref = isRecord(pick('objectRef')) ? (pick('objectRef') as Record<string, unknown>) : {};
  const status = isRecord(pick('responseStatus')) ? (pick('responseStatus') as Record<string, unknown>) : {};
  const code = typeof status.code === 'number' ? status.code : undefined;
  const sourceIps = pick('sourceIPs');
  const attrs = fromPlain({
    'k8s.audit.id': auditId,
    'audit-id': auditId,
    'k8s.audit.stage': str(last.stage),
    'k8s.audit.level': str(pick('level')),
    'k8s.audit.verb': str(pick('verb')),
    'url.path': str(pick('requestURI')),
    'user.name': str(user.username),
    'user.uid': str(user.uid),
    'user_agent.original': str(pick('userAgent')),
    'client.address': Array.isArray(sourceIps) ? str(sourceIps[0]) : undefined,
    'k8s.object.resource': str(ref.resource),
    'k8s.object.subresource': str(ref.subresource),
    'k8s.namespace.name': str(ref.namespace),
    'k8s.object.name': str(ref.name),
    'k8s.object.api_group': str(ref.apiGroup),
    'k8s.object.api_version': str(ref.apiVersion),
    'http.response.status_code': code,
    'k8s.audit.status_message': str(status.message),
    'crosstrace.layer': CONTROL_PLANE_LAYER,
  });
  const annotations = pick('annotations');
  if (isRecord(annotations))
    for (const [k, v] of Object.entries(annotations))
      if (typeof v === 'string') attrs.push({ key: `k8s.audit.annotation.${k}`, value: { stringValue: v } });
  return {
    traceId: traceIdFromAuditId(auditId),
    spanId: spanIdFromAuditId(auditId),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: auditSpanName(last),
    kind: SpanKind.Server,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: attrs,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: code !== undefined && code >= 500 ? StatusCode.Error : StatusCode.Unset, message: '' },
    resource: RESOURCE,
    scope: SCOPE,
    serviceName: 'kube-apiserver',
    layer: CONTROL_PLANE_LAYER,
  };
}
