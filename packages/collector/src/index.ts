export type { BuildOptions, Collector } from './build.js';
export { build, parseDuration } from './build.js';
export type { CollectorConfig, ConfigField, LoadConfigOptions } from './config/index.js';
export { CONFIG_FIELDS, createDefaultConfig, loadConfig, parseSize, resolveConfig } from './config/index.js';
export type { TracesConsumer } from './consumer.js';
export type { LeaderElectionOptions, PolicyRule } from './coordination/index.js';
export { LeaderElector, leaseRbacRules, WATCH_VERBS, watchRbacRules } from './coordination/index.js';
export type { CollectorErrorOptions } from './errors.js';
export { CollectorError, CollectorErrorCode, createError, isCollectorError } from './errors.js';
export type {
  ClientTls,
  LoadBalancingExporterOptions,
  OtlpClient,
  OtlpExporterOptions,
  PersistentQueueOptions,
  PostResult,
  SendResult,
} from './exporters/index.js';
export {
  createOtlpClient,
  encodeTracesProtobuf,
  exportingStore,
  HashRing,
  LoadBalancingExporter,
  MemberSource,
  OtlpExporter,
  PersistentQueue,
} from './exporters/index.js';
export type { CollectorMetrics } from './metrics/index.js';
export type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  Span,
  SpanBatch,
  SpanEvent,
  SpanLink,
} from './model/span.js';
export { SpanKind, StatusCode } from './model/span.js';
export type { Pipeline, StorageWriter } from './pipeline/index.js';
export { createPipeline, createStorageWriter } from './pipeline/index.js';
export { createLayerProcessor, inferLayer } from './processors/layer/index.js';
export type {
  LayerSummary,
  ServiceMap,
  ServiceMapEdge,
  ServiceMapNode,
  ServiceMetrics,
  ServiceSummary,
  TraceSummary,
} from './query/index.js';
export { DEFAULT_WATCH_PATHS, TIMELINE_HEADER } from './receivers/k8s/index.js';
export type { DecodeResult } from './receivers/otlp/index.js';
export { decodeTracesJson, decodeTracesProtobuf } from './receivers/otlp/index.js';
export type { GrpcServerHandle } from './receivers/otlp-grpc/index.js';
export type {
  DependencyLink,
  Operation,
  PostgresStoreOptions,
  SpanQuery,
  SpanStore,
  TraceQuery,
} from './storage/index.js';
export { createMemoryStore, openPostgresStore, openSqliteStore } from './storage/index.js';
