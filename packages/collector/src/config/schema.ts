import { type Static, Type } from '@sinclair/typebox';
import { STITCHING_DEFAULTS } from '../processors/stitching/defaults.js';

/** The collector's configuration: one flat record (flags, env vars and YAML keys map onto it). */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    storage: Type.String({ pattern: '^(sqlite:.+|memory|postgres(ql)?://.+)$' }),
    /** where the control-plane state is kept (default: follows `storage`) */
    controlPlaneStorage: Type.Optional(Type.String({ pattern: '^(sqlite:.+|memory|postgres(ql)?://.+)$' })),
    otlpHttpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** -1 disables the OTLP/gRPC receiver */
    otlpGrpcPort: Type.Integer({ minimum: -1, maximum: 65535 }),
    queryPort: Type.Integer({ minimum: 0, maximum: 65535 }),
    maxBodyBytes: Type.Integer({ minimum: 1024 }),
    maxQueueSpans: Type.Integer({ minimum: 1 }),
    maxQueueBytes: Type.Integer({ minimum: 1024 }),
    maxBatchSpans: Type.Integer({ minimum: 1 }),
    retryAfterSeconds: Type.Integer({ minimum: 0 }),
    retention: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' })),
    maxDbSizeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    /** PostgreSQL: time range of one span partition */
    postgresPartitionInterval: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' }),
    tlsCert: Type.Optional(Type.String({ minLength: 1 })),
    tlsKey: Type.Optional(Type.String({ minLength: 1 })),
    tlsCa: Type.Optional(Type.String({ minLength: 1 })),
    tlsClientAuth: Type.Boolean(),
    tlsAllowedSubjects: Type.Array(Type.String()),
    ingestToken: Type.Optional(Type.String({ minLength: 1 })),
    queryToken: Type.Optional(Type.String({ minLength: 1 })),
    shutdownTimeoutMs: Type.Integer({ minimum: 0 }),
    /** serve the web UI on the query port */
    ui: Type.Boolean(),
    /** folder of a built UI (default: the @crosstrace/ui package's dist) */
    uiDir: Type.Optional(Type.String({ minLength: 1 })),
    /** watch the cluster's Pods, EndpointSlices, ReplicaSets, Deployments and Events */
    k8sWatch: Type.Boolean(),
    /** clock-skew tolerance of the stitching heuristic (ms) */
    stitchingToleranceMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /** longest upstream attempt the stitching heuristic looks back for (ms) */
    stitchingMaxAttemptMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
    /** most spans one stitching store search returns */
    stitchingSearchLimit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** attempts and app root spans kept in memory for joins (0: every join searches the store) */
    stitchingIndexSpans: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    /** only the holder of a coordination.k8s.io Lease watches (one watch for N replicas) */
    leaderElection: Type.Boolean(),
    leaderElectionNamespace: Type.Optional(Type.String({ minLength: 1 })),
    leaderElectionLease: Type.String({ minLength: 1 }),
    /** standalone: receive, stitch, store; agent: forward to gateways */
    mode: Type.Union([Type.Literal('standalone'), Type.Literal('agent')]),
    gateways: Type.Array(Type.String({ minLength: 1 })),
    gatewayDns: Type.Optional(Type.String({ minLength: 1 })),
    gatewayDnsInterval: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' }),
    gatewayProtocol: Type.Union([Type.Literal('grpc'), Type.Literal('http')]),
    gatewayPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    gatewayHttpPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    gatewayToken: Type.Optional(Type.String({ minLength: 1 })),
    gatewayTls: Type.Boolean(),
    exporterTlsCa: Type.Optional(Type.String({ minLength: 1 })),
    exporterTlsCert: Type.Optional(Type.String({ minLength: 1 })),
    exporterTlsKey: Type.Optional(Type.String({ minLength: 1 })),
    queuePath: Type.String({ minLength: 1 }),
    queueMaxBytes: Type.Integer({ minimum: 1024 }),
    otlpExportEndpoint: Type.Optional(Type.String({ pattern: '^(https?|grpcs?)://.+' })),
    otlpExportHeaders: Type.Array(Type.String({ pattern: '^[^=]+=.*$' })),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
  },
  { additionalProperties: false },
);

export type CollectorConfig = Static<typeof ConfigSchema>;

/** The defaults: loopback only, the usual OTLP and Jaeger ports, SQLite in the working directory. */
export function createDefaultConfig(): CollectorConfig {
  return {
    host: '127.0.0.1',
    storage: 'sqlite:./crosstrace.db',
    otlpHttpPort: 4318,
    otlpGrpcPort: 4317,
    queryPort: 16686,
    maxBodyBytes: 64 * 1024 * 1024,
    maxQueueSpans: 200_000,
    maxQueueBytes: 256 * 1024 * 1024,
    maxBatchSpans: 20_000,
    retryAfterSeconds: 1,
    postgresPartitionInterval: '1d',
    tlsClientAuth: false,
    tlsAllowedSubjects: [],
    shutdownTimeoutMs: 10_000,
    ui: true,
    k8sWatch: false,
    stitchingToleranceMs: STITCHING_DEFAULTS.toleranceMs,
    stitchingMaxAttemptMs: STITCHING_DEFAULTS.maxAttemptMs,
    stitchingSearchLimit: STITCHING_DEFAULTS.searchLimit,
    stitchingIndexSpans: STITCHING_DEFAULTS.indexSpans,
    leaderElection: false,
    leaderElectionLease: 'crosstrace-k8s-watch',
    mode: 'standalone',
    gateways: [],
    gatewayDnsInterval: '5s',
    gatewayProtocol: 'grpc',
    gatewayPort: 4317,
    gatewayHttpPort: 4318,
    gatewayTls: false,
    queuePath: './crosstrace-queue.db',
    queueMaxBytes: 1024 ** 3,
    otlpExportHeaders: [],
    logLevel: 'info',
  };
}

export type FieldKind = 'string' | 'int' | 'size' | 'bool' | 'list';

export interface ConfigField {
  key: keyof CollectorConfig;
  /** long flag without the dashes */
  flag: string;
  env: string;
  kind: FieldKind;
  description: string;
}

/** Every option, with its flag, its environment variable and what it means (drives --help and the README). */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  {
    key: 'host',
    flag: 'host',
    env: 'CROSSTRACE_HOST',
    kind: 'string',
    description: 'interface to bind (0.0.0.0 for all, e.g. in a DaemonSet)',
  },
  {
    key: 'storage',
    flag: 'storage',
    env: 'CROSSTRACE_STORAGE',
    kind: 'string',
    description:
      'sqlite:PATH, postgres://USER@HOST:PORT/DB (TLS: ?sslmode=verify-full&sslrootcert=FILE) or memory',
  },
  {
    key: 'controlPlaneStorage',
    flag: 'control-plane-storage',
    env: 'CROSSTRACE_CONTROL_PLANE_STORAGE',
    kind: 'string',
    description:
      'where the control-plane state (pod-IP timeline, diagnoses) is kept: sqlite:PATH, postgres://… (shared by gateways) or memory; default: as --storage',
  },
  {
    key: 'otlpHttpPort',
    flag: 'otlp-http-port',
    env: 'CROSSTRACE_OTLP_HTTP_PORT',
    kind: 'int',
    description: 'OTLP/HTTP port (0 = any free port)',
  },
  {
    key: 'otlpGrpcPort',
    flag: 'otlp-grpc-port',
    env: 'CROSSTRACE_OTLP_GRPC_PORT',
    kind: 'int',
    description: 'OTLP/gRPC port (0 = any free port, -1 = off)',
  },
  {
    key: 'queryPort',
    flag: 'query-port',
    env: 'CROSSTRACE_QUERY_PORT',
    kind: 'int',
    description: 'query API port (Jaeger-compatible; 0 = any free port)',
  },
  {
    key: 'maxBodyBytes',
    flag: 'max-body-size',
    env: 'CROSSTRACE_MAX_BODY_SIZE',
    kind: 'size',
    description: 'largest request body after decompression (e.g. 64MiB)',
  },
  {
    key: 'maxQueueSpans',
    flag: 'max-queue-spans',
    env: 'CROSSTRACE_MAX_QUEUE_SPANS',
    kind: 'int',
    description: 'spans waiting for storage before 429',
  },
  {
    key: 'maxQueueBytes',
    flag: 'max-queue-size',
    env: 'CROSSTRACE_MAX_QUEUE_SIZE',
    kind: 'size',
    description: 'estimated bytes waiting for storage before 429 (e.g. 256MiB)',
  },
  {
    key: 'maxBatchSpans',
    flag: 'max-batch-spans',
    env: 'CROSSTRACE_MAX_BATCH_SPANS',
    kind: 'int',
    description: 'most spans per storage transaction',
  },
  {
    key: 'retryAfterSeconds',
    flag: 'retry-after',
    env: 'CROSSTRACE_RETRY_AFTER',
    kind: 'int',
    description: 'Retry-After seconds on 429/503',
  },
  {
    key: 'retention',
    flag: 'retention',
    env: 'CROSSTRACE_RETENTION',
    kind: 'string',
    description: 'drop spans older than this (e.g. 72h)',
  },
  {
    key: 'maxDbSizeBytes',
    flag: 'max-db-size',
    env: 'CROSSTRACE_MAX_DB_SIZE',
    kind: 'size',
    description: 'drop oldest spans beyond this database size (e.g. 10GiB)',
  },
  {
    key: 'postgresPartitionInterval',
    flag: 'postgres-partition-interval',
    env: 'CROSSTRACE_POSTGRES_PARTITION_INTERVAL',
    kind: 'string',
    description: 'PostgreSQL: time range of one span partition (retention drops whole partitions)',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: 'CROSSTRACE_TLS_CERT',
    kind: 'string',
    description: 'PEM certificate file: TLS on every listener',
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    env: 'CROSSTRACE_TLS_KEY',
    kind: 'string',
    description: 'PEM private key file',
  },
  {
    key: 'tlsCa',
    flag: 'tls-ca',
    env: 'CROSSTRACE_TLS_CA',
    kind: 'string',
    description: 'PEM CA file to verify client certificates (mTLS)',
  },
  {
    key: 'tlsClientAuth',
    flag: 'tls-client-auth',
    env: 'CROSSTRACE_TLS_CLIENT_AUTH',
    kind: 'bool',
    description: 'require a client certificate signed by --tls-ca',
  },
  {
    key: 'tlsAllowedSubjects',
    flag: 'tls-allowed-subjects',
    env: 'CROSSTRACE_TLS_ALLOWED_SUBJECTS',
    kind: 'list',
    description: 'comma-separated client certificate CNs allowed (empty = any)',
  },
  {
    key: 'ingestToken',
    flag: 'ingest-token',
    env: 'CROSSTRACE_INGEST_TOKEN',
    kind: 'string',
    description: 'bearer token required by the receivers',
  },
  {
    key: 'queryToken',
    flag: 'query-token',
    env: 'CROSSTRACE_QUERY_TOKEN',
    kind: 'string',
    description: 'bearer token required by the query API',
  },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout',
    env: 'CROSSTRACE_SHUTDOWN_TIMEOUT',
    kind: 'int',
    description: 'ms to drain on SIGTERM before forcing',
  },
  {
    key: 'ui',
    flag: 'ui',
    env: 'CROSSTRACE_UI',
    kind: 'bool',
    description: 'serve the web UI on the query port (--no-ui to turn it off)',
  },
  {
    key: 'uiDir',
    flag: 'ui-dir',
    env: 'CROSSTRACE_UI_DIR',
    kind: 'string',
    description: 'folder of a built web UI (default: the @crosstrace/ui package)',
  },
  {
    key: 'k8sWatch',
    flag: 'k8s-watch',
    env: 'CROSSTRACE_K8S_WATCH',
    kind: 'bool',
    description:
      'watch Pods, EndpointSlices, ReplicaSets, Deployments and Events (in-cluster or $KUBECONFIG)',
  },
  {
    key: 'stitchingToleranceMs',
    flag: 'stitching-tolerance',
    env: 'CROSSTRACE_STITCHING_TOLERANCE',
    kind: 'int',
    description: 'ms of clock skew the no-header stitching heuristic tolerates between ingress and app spans',
  },
  {
    key: 'stitchingMaxAttemptMs',
    flag: 'stitching-max-attempt',
    env: 'CROSSTRACE_STITCHING_MAX_ATTEMPT',
    kind: 'int',
    description: 'ms: the longest upstream attempt the stitching heuristic looks back for',
  },
  {
    key: 'stitchingSearchLimit',
    flag: 'stitching-search-limit',
    env: 'CROSSTRACE_STITCHING_SEARCH_LIMIT',
    kind: 'int',
    description: 'most spans one stitching store search returns',
  },
  {
    key: 'stitchingIndexSpans',
    flag: 'stitching-index-spans',
    env: 'CROSSTRACE_STITCHING_INDEX_SPANS',
    kind: 'int',
    description:
      'upstream attempts and app root spans kept in memory for stitching (0 = search the store for every join, for several collectors sharing one store)',
  },
  {
    key: 'leaderElection',
    flag: 'leader-election',
    env: 'CROSSTRACE_LEADER_ELECTION',
    kind: 'bool',
    description:
      'with --k8s-watch: only the holder of a coordination.k8s.io Lease watches (one watch for N replicas)',
  },
  {
    key: 'leaderElectionNamespace',
    flag: 'leader-election-namespace',
    env: 'CROSSTRACE_LEADER_ELECTION_NAMESPACE',
    kind: 'string',
    description: "namespace of the Lease (default: the pod's own namespace)",
  },
  {
    key: 'leaderElectionLease',
    flag: 'leader-election-lease',
    env: 'CROSSTRACE_LEADER_ELECTION_LEASE',
    kind: 'string',
    description: 'name of the Lease',
  },
  {
    key: 'mode',
    flag: 'mode',
    env: 'CROSSTRACE_MODE',
    kind: 'string',
    description:
      'standalone (receive, stitch, store; also what a gateway runs) or agent (forward to the gateways by trace id)',
  },
  {
    key: 'gateways',
    flag: 'gateways',
    env: 'CROSSTRACE_GATEWAYS',
    kind: 'list',
    description: 'agent: comma-separated gateway host[:port] list (a static ring)',
  },
  {
    key: 'gatewayDns',
    flag: 'gateway-dns',
    env: 'CROSSTRACE_GATEWAY_DNS',
    kind: 'string',
    description: "agent: a name whose A/AAAA records are the gateways (a headless Service's DNS name)",
  },
  {
    key: 'gatewayDnsInterval',
    flag: 'gateway-dns-interval',
    env: 'CROSSTRACE_GATEWAY_DNS_INTERVAL',
    kind: 'string',
    description: 'agent: how often --gateway-dns is resolved again',
  },
  {
    key: 'gatewayProtocol',
    flag: 'gateway-protocol',
    env: 'CROSSTRACE_GATEWAY_PROTOCOL',
    kind: 'string',
    description: 'agent: OTLP protocol towards the gateways (grpc or http)',
  },
  {
    key: 'gatewayPort',
    flag: 'gateway-port',
    env: 'CROSSTRACE_GATEWAY_PORT',
    kind: 'int',
    description: "agent: the gateways' OTLP port for members given without one",
  },
  {
    key: 'gatewayHttpPort',
    flag: 'gateway-http-port',
    env: 'CROSSTRACE_GATEWAY_HTTP_PORT',
    kind: 'int',
    description:
      "agent: the gateways' OTLP/HTTP port, where control-plane data goes when --gateway-protocol is grpc",
  },
  {
    key: 'gatewayToken',
    flag: 'gateway-token',
    env: 'CROSSTRACE_GATEWAY_TOKEN',
    kind: 'string',
    description: 'agent: bearer token sent to the gateways (their --ingest-token)',
  },
  {
    key: 'gatewayTls',
    flag: 'gateway-tls',
    env: 'CROSSTRACE_GATEWAY_TLS',
    kind: 'bool',
    description: 'agent: TLS towards the gateways (CA and client certificate: --exporter-tls-*)',
  },
  {
    key: 'exporterTlsCa',
    flag: 'exporter-tls-ca',
    env: 'CROSSTRACE_EXPORTER_TLS_CA',
    kind: 'string',
    description: 'PEM CA file the gateways / the OTLP export endpoint must present a certificate of',
  },
  {
    key: 'exporterTlsCert',
    flag: 'exporter-tls-cert',
    env: 'CROSSTRACE_EXPORTER_TLS_CERT',
    kind: 'string',
    description: 'PEM client certificate file (mutual TLS) towards the gateways / the OTLP export endpoint',
  },
  {
    key: 'exporterTlsKey',
    flag: 'exporter-tls-key',
    env: 'CROSSTRACE_EXPORTER_TLS_KEY',
    kind: 'string',
    description: 'PEM client key file',
  },
  {
    key: 'queuePath',
    flag: 'queue-path',
    env: 'CROSSTRACE_QUEUE_PATH',
    kind: 'string',
    description: 'SQLite file of the persistent export queue (agent forwarding, OTLP export)',
  },
  {
    key: 'queueMaxBytes',
    flag: 'queue-max-size',
    env: 'CROSSTRACE_QUEUE_MAX_SIZE',
    kind: 'size',
    description: 'most bytes in the export queue before 429 (e.g. 1GiB)',
  },
  {
    key: 'otlpExportEndpoint',
    flag: 'otlp-export-endpoint',
    env: 'CROSSTRACE_OTLP_EXPORT_ENDPOINT',
    kind: 'string',
    description:
      'also send the stitched spans to this OTLP endpoint: grpc(s)://host:4317 or http(s)://host:4318 (Jaeger, Tempo, an OpenTelemetry Collector)',
  },
  {
    key: 'otlpExportHeaders',
    flag: 'otlp-export-headers',
    env: 'CROSSTRACE_OTLP_EXPORT_HEADERS',
    kind: 'list',
    description: 'comma-separated key=value headers for --otlp-export-endpoint (e.g. authorization=Bearer x)',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'CROSSTRACE_LOG_LEVEL',
    kind: 'string',
    description: 'fatal, error, warn, info, debug, trace or silent',
  },
];
