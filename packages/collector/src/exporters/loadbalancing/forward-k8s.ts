// An agent's control-plane path: what its /k8s routes and its Kubernetes watch receive is parsed
// (to count and refuse bad documents here), written as JSON lines with each watch event's arrival
// time, and broadcast to every gateway.
import type { Observation } from '../../controlplane/k8s-types.js';
import type { K8sIngestResult } from '../../receivers/k8s/ingest.js';
import { type Arrival, parseK8sText } from '../../receivers/k8s-objects/parse.js';
import type { LoadBalancingExporter } from './loadbalancing-exporter.js';

/** JSON lines a gateway's `POST /k8s/objects?arrival=event` reads back into the same observations. */
export function observationLines(observations: readonly Observation[]): string {
  let out = '';
  for (const o of observations) {
    const line =
      o.type === 'SNAPSHOT'
        ? o.object
        : o.arrivalNanos === undefined
          ? { type: o.type, object: o.object }
          : { type: o.type, object: o.object, arrivalNanos: String(o.arrivalNanos) };
    out += `${JSON.stringify(line)}\n`;
  }
  return out;
}

/** Broadcasts observations (the watch's batches). */
export function forwardObservations(
  exporter: LoadBalancingExporter,
  observations: readonly Observation[],
): void {
  if (observations.length > 0)
    exporter.broadcast('k8s-objects', observationLines(observations), observations.length);
}

/**
 * The `forward` of an agent's k8s routes: parse, broadcast objects and audit events, answer with
 * the counts (duplicates and spans are the gateways' to know).
 */
export async function forwardK8sText(
  exporter: LoadBalancingExporter,
  text: string,
  arrival: Arrival,
): Promise<K8sIngestResult> {
  const parsed = parseK8sText(text, arrival);
  forwardObservations(exporter, parsed.observations);
  if (parsed.auditEvents.length > 0) {
    let lines = '';
    for (const e of parsed.auditEvents) lines += `${JSON.stringify(e)}\n`;
    exporter.broadcast('k8s-audit', lines, parsed.auditEvents.length);
  }
  return {
    objects: parsed.observations.length,
    auditEvents: parsed.auditEvents.length,
    duplicates: 0,
    spans: 0,
    bad: parsed.bad,
  };
}
