// Diagnoses as the stitching processor records them: span events named `crosstrace.diagnosis`
// with `crosstrace.diagnosis.code`, `crosstrace.diagnosis.message` and `crosstrace.evidence.*`.
import { formatDurationMs } from './format.js';
import type { AttrValue, RawSpan } from './types.js';

export const DIAGNOSIS_EVENT = 'crosstrace.diagnosis';
const EVIDENCE = 'crosstrace.evidence.';

export interface DiagnosisFacts {
  code: string;
  message: string;
  evidence: Record<string, AttrValue>;
}

/** The diagnoses recorded on a span, in event order. */
export function diagnosesOfSpan(span: Pick<RawSpan, 'events'>): DiagnosisFacts[] {
  const out: DiagnosisFacts[] = [];
  for (const e of span.events) {
    if (e.name !== DIAGNOSIS_EVENT) continue;
    let code = '';
    let message = '';
    const evidence: Record<string, AttrValue> = {};
    for (const a of e.attributes) {
      if (a.key === 'crosstrace.diagnosis.code') code = String(a.value);
      else if (a.key === 'crosstrace.diagnosis.message') message = String(a.value);
      else if (a.key.startsWith(EVIDENCE)) evidence[a.key.slice(EVIDENCE.length)] = a.value;
    }
    if (code !== '') out.push({ code, message, evidence });
  }
  return out;
}

function ms(v: AttrValue): string {
  const n = Number(v);
  return Number.isFinite(n) ? formatDurationMs(n) : String(v);
}

/**
 * One sentence a platform engineer would write in an incident channel, from the code and its
 * evidence; the collector's own message when the code is unknown.
 */
export function diagnosisSentence(d: DiagnosisFacts): string {
  const e = d.evidence;
  switch (d.code) {
    case 'upstream-pod-terminating':
      return `The attempt went to ${e.address ?? 'the pod'}, held by pod ${e.pod}, whose deletion had begun ${ms(e.sinceMs)} earlier (at ${e.deletionStartedAt}${e.gracePeriodSeconds !== undefined ? `, grace period ${e.gracePeriodSeconds} s` : ''}).`;
    case 'upstream-endpoint-removed':
      return `${e.address} had already left EndpointSlice ${e.endpointSlice} (${e.change}) ${ms(e.lagMs)} before the attempt, at ${e.removedAt}; nginx still routed to it${e.pod ? ` (pod ${e.pod})` : ''}.`;
    case 'upstream-pod-not-ready':
      return `Pod ${e.pod} behind ${e.address} was not ready at the attempt${e.notReadySince ? ` (not ready since ${e.notReadySince})` : e.readyAt ? ` (ready only at ${e.readyAt})` : ''}.`;
    case 'upstream-ip-unassigned':
      return `No pod held ${e.address} at the attempt${e.lastPod ? `; ${e.lastPod} had released it${e.lagMs !== undefined ? ` ${ms(e.lagMs)} earlier` : ''}` : ''}.`;
    case 'ingress-reload':
      return `Ingress controller ${e.controllerPod} reloaded nginx at ${e.reloadAt}, during the attempt window${Number(e.reloads) > 1 ? ` (${e.reloads} reloads)` : ''}.`;
    default:
      return d.message;
  }
}

/** The pod a diagnosis names (`namespace/name`), if any. */
export function diagnosisPod(d: DiagnosisFacts): { namespace: string; name: string } | undefined {
  const p = d.evidence.pod ?? d.evidence.lastPod ?? d.evidence.controllerPod;
  if (typeof p !== 'string' || !p.includes('/')) return undefined;
  const [namespace, name] = p.split('/', 2);
  return { namespace, name };
}
