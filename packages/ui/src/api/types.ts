// Response shapes of the collector's query API that the UI reads: the collector's own types where
// it names them (type-only imports: nothing of the collector reaches the bundle), the rest here.
export type {
  ServiceMap,
  ServiceMapEdge,
  ServiceMapNode,
  ServiceMetrics,
  ServiceSummary,
  TraceSummary,
} from '@crosstrace/collector';

import type { ServiceMap, ServiceMetrics, TraceSummary } from '@crosstrace/collector';

/** A summary as it may arrive (other Jaeger backends omit fields; jaeger-ui treats them as optional). */
export type TraceSummaryWire = Partial<TraceSummary> & Pick<TraceSummary, 'traceId'>;

/** `GET /api/crosstrace/service-map`: the map and how many spans it was read from. */
export type ServiceMapAnswer = ServiceMap & { spans: number; truncated: boolean };

/** `GET /api/crosstrace/service-metrics`. */
export type ServiceMetricsAnswer = ServiceMetrics & { truncated: boolean };

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
