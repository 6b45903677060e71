import type { TracesConsumer } from '../../consumer.js';
import type { Observation } from '../../controlplane/k8s-types.js';
import { affectedGroups, buildLifecycleSpans } from '../../controlplane/lifecycle.js';
import type { ControlPlaneState, ObservationResult } from '../../controlplane/state.js';
import type { Span } from '../../model/span.js';
import { auditSpan } from '../k8s-audit/audit-spans.js';
import { type Arrival, parseK8sText } from '../k8s-objects/parse.js';
import { spanProblem } from '../otlp/span-builder.js';

/** Counts of one ingestion. */
export interface K8sIngestResult {
  objects: number;
  auditEvents: number;
  /** objects and audit events seen before (idempotent re-send) */
  duplicates: number;
  spans: number;
  /** bad documents by reason */
  bad: Record<string, number>;
}

export interface K8sIngestOptions {
  pipeline: TracesConsumer;
  controlPlane: ControlPlaneState;
  /** receiver name on the produced batch */
  receiver: string;
  /** arrival time of live watch events (ns), or `event` (each event's own); undefined for imports */
  arrivalNanos?: Arrival;
}

/** Spans for what an ingestion touched: lifecycle traces of the touched groups, one span per audit id. */
export function spansFor(controlPlane: ControlPlaneState, result: ObservationResult): Span[] {
  const spans = buildLifecycleSpans(controlPlane, affectedGroups(controlPlane, result));
  for (const id of result.auditIds) {
    const s = auditSpan(id, controlPlane.auditStages(id));
    if (s) spans.push(s);
  }
  return spans;
}

/**
 * Records already-parsed observations and audit events, waits until the control-plane backend
 * holds them, and sends the resulting spans down the pipeline (the watch receiver's path;
 * {@link ingestK8sText} parses first).
 */
export async function ingestObservations(
  observations: readonly Observation[],
  auditEvents: readonly Record<string, unknown>[],
  opts: Omit<K8sIngestOptions, 'arrivalNanos'>,
): Promise<{ duplicates: number; spans: number; rejectedSpans: number }> {
  const cp = opts.controlPlane;
  // a late stage joins the earlier ones of its audit id, wherever they were recorded
  const auditIds = auditEvents.map((e) => e.auditID).filter((id): id is string => typeof id === 'string');
  if (auditIds.length > 0) await cp.loadAuditStages(auditIds);
  const a = cp.addObservations(observations);
  const b = cp.addAuditEvents(auditEvents);
  const merged: ObservationResult = {
    added: a.added + b.added,
    duplicates: a.duplicates + b.duplicates,
    podKeys: a.podKeys,
    eventKeys: a.eventKeys,
    sliceKeys: a.sliceKeys,
    auditIds: b.auditIds,
    objectKeys: a.objectKeys,
  };
  // the same per-span check as OTLP decode: a span no store can hold (a time an object's
  // arithmetic put out of range) is counted, never sent on to fail its whole batch
  const spans: Span[] = [];
  let rejectedSpans = 0;
  for (const s of spansFor(cp, merged)) {
    if (spanProblem(s) === undefined) spans.push(s);
    else rejectedSpans++;
  }
  // acknowledged is stored: the backend has it before the answer (a failure answers 503; the
  // writes stay queued, and a re-send is recognised as a duplicate whose spans are rebuilt)
  await cp.flush();
  if (spans.length > 0) await opts.pipeline.consume({ spans, receiver: opts.receiver });
  return { duplicates: merged.duplicates, spans: spans.length, rejectedSpans };
}

/**
 * Parses Kubernetes objects, watch events and audit events (any kubectl format), records them in
 * the control-plane state and sends the resulting control-plane spans down the pipeline.
 * Rejects only when the pipeline does (CollectorError); bad documents are counted.
 */
export async function ingestK8sText(text: string, opts: K8sIngestOptions): Promise<K8sIngestResult> {
  const parsed = parseK8sText(text, opts.arrivalNanos);
  const r = await ingestObservations(parsed.observations, parsed.auditEvents, opts);
  if (r.rejectedSpans > 0) parsed.bad['span-out-of-range'] = r.rejectedSpans;
  return {
    objects: parsed.observations.length,
    auditEvents: parsed.auditEvents.length,
    duplicates: r.duplicates,
    spans: r.spans,
    bad: parsed.bad,
  };
}
