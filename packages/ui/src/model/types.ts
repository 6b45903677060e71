// The UI's one trace model: what the OTLP/JSON and Jaeger JSON readers produce, normalised once
// (see normalize.ts) and rendered from without further passes.

/** A plain attribute value as the UI shows it. */
export type AttrValue = string | number | boolean | AttrValue[] | { [key: string]: AttrValue } | undefined;

export interface Attr {
  key: string;
  value: AttrValue;
}

export const LAYERS = ['ingress', 'app', 'control-plane'] as const;
export type Layer = (typeof LAYERS)[number];

export interface SpanEvent {
  /** µs since the epoch */
  timeUs: number;
  name: string;
  attributes: Attr[];
}

export interface SpanLink {
  traceID: string;
  spanID: string;
  /** `child_of`, `follows_from` (OpenTracing reference type), else '' */
  refType: string;
  /** `crosstrace.link.type` (pod-lifecycle, heuristic-app, …), else '' */
  linkType: string;
  attributes: Attr[];
}

/** A span as read from a file or the API, before normalisation. */
export interface RawSpan {
  traceID: string;
  spanID: string;
  /** '' for a root */
  parentSpanID: string;
  name: string;
  /** server | client | producer | consumer | internal | '' */
  kind: string;
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  service: string;
  layer: Layer;
  attributes: Attr[];
  resource: Attr[];
  scope: { name: string; version: string };
  events: SpanEvent[];
  links: SpanLink[];
  /** 'ERROR' | 'OK' | 'UNSET' */
  statusCode: string;
  statusMessage: string;
}

export interface Diagnosis {
  code: string;
  message: string;
  evidence: Record<string, AttrValue>;
  /** the span it concerns (index into Trace.spans) */
  spanIndex: number;
}

/** A span after normalisation: its place in the tree is known. */
export interface TraceSpan extends RawSpan {
  /** position in depth-first order (parents before children, siblings by start) */
  index: number;
  depth: number;
  /** -1 for a root */
  parentIndex: number;
  /** how the span hangs from its parent: CHILD_OF (parent id) or FOLLOWS_FROM (reference) */
  refType: 'CHILD_OF' | 'FOLLOWS_FROM' | 'ROOT';
  /** index of the last span of its subtree (itself when a leaf) */
  subtreeEnd: number;
  childCount: number;
  /** start relative to the trace start, µs */
  offsetUs: number;
  error: boolean;
  /** http status (response) when present */
  httpStatus: number | undefined;
  diagnoses: Diagnosis[];
}

/** Shared by spans with none (no array per span for the common case). */
export const NONE: readonly never[] = Object.freeze([]);

/**
 * A span object with every field of TraceSpan already present (placeholders until normalised),
 * so that readers and normalizeTrace give all spans one shape and normalisation writes fields
 * in place instead of copying.
 */
export function newSpan(raw: RawSpan): TraceSpan {
  return {
    traceID: raw.traceID,
    spanID: raw.spanID,
    parentSpanID: raw.parentSpanID,
    name: raw.name,
    kind: raw.kind,
    startUs: raw.startUs,
    durationUs: raw.durationUs,
    service: raw.service,
    layer: raw.layer,
    attributes: raw.attributes,
    resource: raw.resource,
    scope: raw.scope,
    events: raw.events,
    links: raw.links,
    statusCode: raw.statusCode,
    statusMessage: raw.statusMessage,
    index: 0,
    depth: 0,
    parentIndex: -1,
    refType: 'ROOT',
    subtreeEnd: 0,
    childCount: 0,
    offsetUs: 0,
    error: false,
    httpStatus: undefined,
    diagnoses: NONE as unknown as Diagnosis[],
  };
}

export interface Trace {
  traceID: string;
  spans: TraceSpan[];
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  byId: Map<string, number>;
  /** distinct services with their layer and span count, by span count descending */
  services: { name: string; layer: Layer; count: number; errors: number }[];
  layerCounts: Record<Layer, number>;
  errorCount: number;
  diagnoses: Diagnosis[];
  maxDepth: number;
  /** spans whose parent is absent from the trace */
  orphanCount: number;
  /** root span (index 0) name and service */
  rootName: string;
  rootService: string;
}
