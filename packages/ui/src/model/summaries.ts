// Search results from `/api/v3/trace-summaries`, as the results list and the scatter plot use them.
import type { TraceSummaryWire } from '../api/types.js';
import { nanosToMicros } from './from-otlp.js';
import { asLayer } from './layers.js';
import type { Layer } from './types.js';

export interface ResultRow {
  traceID: string;
  rootService: string;
  rootOperation: string;
  rootLayer: Layer | undefined;
  startUs: number;
  durationUs: number;
  spanCount: number;
  errorCount: number;
  layers: Partial<Record<Layer, number>>;
  services: { name: string; count: number; errors: number }[];
  diagnoses: string[];
}

export function resultRow(s: TraceSummaryWire): ResultRow {
  const startUs = nanosToMicros(s.minStartTimeUnixNano);
  const endUs = nanosToMicros(s.maxEndTimeUnixNano);
  const layers: Partial<Record<Layer, number>> = {};
  for (const l of s.layers ?? []) {
    const k = asLayer(l.layer);
    if (k) layers[k] = (layers[k] ?? 0) + l.spanCount;
  }
  return {
    traceID: s.traceId,
    rootService: s.rootServiceName ?? '',
    rootOperation: s.rootOperationName ?? '',
    rootLayer: asLayer(s.rootLayer),
    startUs,
    durationUs: Math.max(0, endUs - startUs),
    spanCount: s.spanCount ?? 0,
    errorCount: s.errorSpanCount ?? 0,
    layers,
    services: (s.services ?? []).map((x) => ({
      name: x.name,
      count: x.spanCount ?? 0,
      errors: x.errorSpanCount ?? 0,
    })),
    diagnoses: s.diagnoses ?? [],
  };
}

export const SORTS = {
  recent: { label: 'Most recent', compare: (a: ResultRow, b: ResultRow) => b.startUs - a.startUs },
  longest: { label: 'Longest first', compare: (a: ResultRow, b: ResultRow) => b.durationUs - a.durationUs },
  shortest: { label: 'Shortest first', compare: (a: ResultRow, b: ResultRow) => a.durationUs - b.durationUs },
  spans: { label: 'Most spans', compare: (a: ResultRow, b: ResultRow) => b.spanCount - a.spanCount },
  errors: {
    label: 'Most errors',
    compare: (a: ResultRow, b: ResultRow) =>
      b.errorCount - a.errorCount || b.diagnoses.length - a.diagnoses.length,
  },
} as const;
export type SortKey = keyof typeof SORTS;

export function sortRows(rows: readonly ResultRow[], key: string): ResultRow[] {
  const s = SORTS[(key in SORTS ? key : 'recent') as SortKey];
  return [...rows].sort(s.compare);
}
