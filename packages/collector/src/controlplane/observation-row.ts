import { createHash } from 'node:crypto';
import type { EndpointSlice, K8sEvent, Observation, Pod } from './k8s-types.js';
import { objectKey } from './k8s-types.js';
import type { ObservationRow } from './store.js';
import { parseK8sTime } from './time.js';
import { observationTime } from './timeline.js';

/** The key of an Event object (uid, else namespace/name). */
export function eventKeyOf(e: K8sEvent): string {
  return e.metadata?.uid || objectKey(e.metadata?.namespace, e.metadata?.name);
}

export function podKeyOf(p: Pod): string {
  return p.metadata?.uid || objectKey(p.metadata?.namespace, p.metadata?.name);
}

export function sliceKeyOf(s: EndpointSlice): string {
  return s.metadata?.uid || objectKey(s.metadata?.namespace, s.metadata?.name);
}

/** The content hash an observation is deduplicated by. */
export function observationId(o: Observation): string {
  return createHash('sha256')
    .update(`${o.type}|${o.arrivalNanos ?? ''}|`)
    .update(JSON.stringify(o.object))
    .digest('hex')
    .slice(0, 40);
}

/** The audit id of an audit.k8s.io event (`''` without one); undefined for any other object. */
export function auditIdOf(o: Observation): string | undefined {
  const obj = o.object;
  if (typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('audit.k8s.io/')) return undefined;
  const id = (obj as Record<string, unknown>).auditID;
  return typeof id === 'string' ? id : '';
}

/** The time of an audit stage: its stage time, else when the request was received. */
export function auditTime(stage: Record<string, unknown>): bigint | undefined {
  return parseK8sTime(stage.stageTimestamp) ?? parseK8sTime(stage.requestReceivedTimestamp);
}

/** The time an observation is filed under for retention (an audit event's stage time). */
export function retentionTimeOf(o: Observation): bigint | undefined {
  return auditIdOf(o) === undefined ? observationTime(o) : auditTime(o.object as Record<string, unknown>);
}

/** The object an observation is about, as the state keys it (audit events by audit id). */
export interface ObjectRef {
  kind: string;
  key: string;
}

export function observationRef(o: Observation): ObjectRef {
  const obj = o.object;
  const auditId = auditIdOf(o);
  if (auditId !== undefined) return { kind: 'audit', key: auditId };
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (kind === 'Pod') return { kind, key: podKeyOf(obj as Pod) };
  if (kind === 'EndpointSlice') return { kind, key: sliceKeyOf(obj as EndpointSlice) };
  if (kind === 'Event') return { kind, key: eventKeyOf(obj as K8sEvent) };
  return { kind, key: `${kind}|${objectKey(obj.metadata?.namespace, obj.metadata?.name)}` };
}

/** An observation as a backend stores it. */
export function observationRow(
  o: Observation,
  id = observationId(o),
  ref = observationRef(o),
): ObservationRow {
  return { id, observation: o, kind: ref.kind, objectKey: ref.key, atNanos: retentionTimeOf(o) };
}
