import type { Attributes } from '@opentelemetry/api';

/** Where a line came from, for ids of lines that carry no request id or trace context. */
export interface LineSource {
  /** A stable identity of the file (device, inode and a fingerprint of its first line). */
  id: string;
  /** Byte offset of the line in that file. */
  offset: number;
}

/** Options of {@link toSpans}. */
export interface ToSpansOptions {
  /** Resource `service.name` (default `ingress-nginx`). */
  serviceName?: string;
  /** Extra resource attributes (`k8s.pod.name`, …). */
  resourceAttributes?: Attributes;
  /** The line's file identity and offset: ids for lines without request id or trace context. */
  source?: LineSource;
  /** Kubernetes namespaces known to contain `-`, to split `$proxy_upstream_name` correctly. */
  namespaces?: readonly string[];
}
