export type { ExporterSource } from './exporter-metrics.js';
export { registerExporterMetrics } from './exporter-metrics.js';
export { forwardK8sText, forwardObservations, observationLines } from './loadbalancing/forward-k8s.js';
export type {
  ControlPlaneKind,
  LoadBalancingExporterOptions,
} from './loadbalancing/loadbalancing-exporter.js';
export { CONTROL_PLANE_ROUTES, LoadBalancingExporter } from './loadbalancing/loadbalancing-exporter.js';
export type { MemberSourceOptions } from './loadbalancing/members.js';
export { MemberSource, memberAddress } from './loadbalancing/members.js';
export { DEFAULT_VIRTUAL_NODES, HashRing, hash32 } from './loadbalancing/ring.js';
export { encodeTracesProtobuf } from './otlp/encode-traces.js';
export type { ClientTls, OtlpClient, OtlpClientOptions, PostResult } from './otlp/otlp-client.js';
export { createOtlpClient } from './otlp/otlp-client.js';
export type { OtlpExporterOptions } from './otlp/otlp-exporter.js';
export { exportingStore, OtlpExporter } from './otlp/otlp-exporter.js';
export type { SendResult } from './otlp/send-result.js';
export { parseRetryAfter, resultOfHttp, retryDelayFromStatus } from './otlp/send-result.js';
export type { DeliveryOptions, DeliveryStats } from './queue/delivery.js';
export { Delivery } from './queue/delivery.js';
export type { PersistentQueueOptions, QueueEntry, QueueItem } from './queue/persistent-queue.js';
export { PersistentQueue } from './queue/persistent-queue.js';
