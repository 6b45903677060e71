// One search result without its spans: what jaeger-ui's /api/v3/trace-summaries client reads
// (api_v3 TraceSummary), plus the layer counts and diagnosis codes crosstrace's UI shows.
import { getStringAttribute } from '../../model/attributes.js';
import type { Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import { parentSpanIdOf } from '../../storage/matching.js';

export interface ServiceSummary {
  name: string;
  spanCount: number;
  errorSpanCount: number;
  layer: string;
}

export interface LayerSummary {
  layer: string;
  spanCount: number;
  errorSpanCount: number;
}

export interface TraceSummary {
  traceId: string;
  rootServiceName: string;
  rootOperationName: string;
  rootLayer: string;
  /** ns since the epoch, decimal (proto3 JSON int64) */
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  spanCount: number;
  errorSpanCount: number;
  /** spans whose parent is not in the trace */
  orphanSpanCount: number;
  services: ServiceSummary[];
  layers: LayerSummary[];
  /** diagnosis codes recorded on the trace's spans (`crosstrace.diagnosis.codes`) */
  diagnoses: string[];
}

/**
 * The summary of a trace's spans. The root is the earliest span without a parent in the trace
 * (the earliest span at all when every span has one).
 */
export function summarizeTrace(traceId: string, spans: readonly Span[]): TraceSummary {
  const ids = new Set<string>();
  for (const s of spans) ids.add(s.spanId);
  let root: Span | undefined;
  let first: Span | undefined;
  let min = 0n;
  let max = 0n;
  let errors = 0;
  let orphans = 0;
  const services = new Map<string, ServiceSummary>();
  const layers = new Map<string, LayerSummary>();
  const diagnoses: string[] = [];
  for (const s of spans) {
    const parent = parentSpanIdOf(s);
    if (parent === '') {
      if (root === undefined || s.startTimeUnixNano < root.startTimeUnixNano) root = s;
    } else if (!ids.has(parent)) orphans++;
    if (first === undefined || s.startTimeUnixNano < first.startTimeUnixNano) first = s;
    if (min === 0n || s.startTimeUnixNano < min) min = s.startTimeUnixNano;
    if (s.endTimeUnixNano > max) max = s.endTimeUnixNano;
    const error = s.status.code === StatusCode.Error;
    if (error) errors++;
    let sv = services.get(s.serviceName);
    if (sv === undefined) {
      sv = { name: s.serviceName, spanCount: 0, errorSpanCount: 0, layer: s.layer };
      services.set(s.serviceName, sv);
    }
    sv.spanCount++;
    if (error) sv.errorSpanCount++;
    let ly = layers.get(s.layer);
    if (ly === undefined) {
      ly = { layer: s.layer, spanCount: 0, errorSpanCount: 0 };
      layers.set(s.layer, ly);
    }
    ly.spanCount++;
    if (error) ly.errorSpanCount++;
    const codes = getStringAttribute(s.attributes, 'crosstrace.diagnosis.codes');
    if (codes !== '') for (const c of codes.split(',')) if (!diagnoses.includes(c)) diagnoses.push(c);
  }
  const r = root ?? first;
  return {
    traceId,
    rootServiceName: r?.serviceName ?? '',
    rootOperationName: r?.name ?? '',
    rootLayer: r?.layer ?? '',
    minStartTimeUnixNano: min.toString(),
    maxEndTimeUnixNano: max.toString(),
    spanCount: spans.length,
    errorSpanCount: errors,
    orphanSpanCount: orphans,
    services: [...services.values()].sort(
      (a, b) => b.spanCount - a.spanCount || a.name.localeCompare(b.name),
    ),
    layers: [...layers.values()],
    diagnoses,
  };
}
