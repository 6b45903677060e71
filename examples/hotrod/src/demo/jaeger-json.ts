// The parts of Jaeger's JSON trace model (its query API) the report reads.

/** A tag or log field: `{key, type, value}`. */
export interface JaegerTag {
  key: string;
  type?: string;
  value: string | number | boolean;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  /** µs since the epoch */
  startTime: number;
  /** µs */
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

/** An entry of the collector's `/api/crosstrace/diagnoses`: why an attempt failed. */
export interface CrosstraceDiagnosis {
  traceID: string;
  spanID: string;
  code: string;
  message: string;
  evidence: Record<string, string | number | boolean>;
  /** µs since the epoch */
  time: number;
}

/** A span's tag value, undefined when absent. */
export function tagOf(span: { tags: JaegerTag[] }, key: string): JaegerTag['value'] | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}
