// Response shapes of the collector's query API that the UI reads.

export interface ServiceSummary {
  name: string;
  spanCount?: number;
  errorSpanCount?: number;
  layer?: string;
}

/** One row of `GET /api/v3/trace-summaries` (Jaeger's api_v3 TraceSummary, plus layer counts). */
export interface TraceSummary {
  traceId: string;
  rootServiceName?: string;
  rootOperationName?: string;
  rootLayer?: string;
  minStartTimeUnixNano?: string;
  maxEndTimeUnixNano?: string;
  spanCount?: number;
  errorSpanCount?: number;
  orphanSpanCount?: number;
  services?: ServiceSummary[];
  layers?: { layer: string; spanCount: number; errorSpanCount: number }[];
  diagnoses?: string[];
}

export interface DiagnosisRow {
  traceID: string;
  spanID: string;
  code: string;
  message: string;
  evidence: Record<string, string | number | boolean>;
  /** µs since the epoch */
  time: number;
  service: string;
  pod?: { namespace: string; name: string };
  lifecycle?: { traceID: string; spanID: string };
}

export interface PodRequestRow {
  traceID: string;
  spanID: string;
  kind: 'upstream-attempt' | 'app-server';
  operationName: string;
  serviceName: string;
  startTime: number;
  duration: number;
  statusCode?: number;
  error: boolean;
  address?: string;
  diagnoses: string[];
}

export interface PodRequests {
  pod: {
    namespace: string;
    name: string;
    uid: string;
    ips: string[];
    node?: string;
    ipFrom?: string;
    ipUntil?: string;
    deletionStartedAt?: string;
    lifecycle?: { traceID: string; spanID: string };
  };
  data: PodRequestRow[];
  total: number;
}

export interface PodListRow {
  namespace: string;
  name: string;
  uid: string;
  ips: string[];
  node?: string;
  createdAt?: string;
  deletionStartedAt?: string;
  lifecycle: { traceID: string; spanID: string };
}

export interface ServiceMapNode {
  service: string;
  layer: string;
  spanCount: number;
  errorCount: number;
}

export interface ServiceMapEdge {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

export interface ServiceMap {
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
  /** spans read; `truncated` when the window held more than the limit */
  spans: number;
  truncated: boolean;
}

export interface ServiceMetrics {
  service: string;
  /** ms since the epoch of each bucket's start */
  time: number[];
  stepMs: number;
  requests: number[];
  requestsPerSecond: number[];
  errorRate: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  operations: {
    name: string;
    count: number;
    errors: number;
    p50: number;
    p95: number;
    p99: number;
  }[];
}
