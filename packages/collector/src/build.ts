import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type CollectorConfig, resolveConfig } from './config/index.js';
import type { TracesConsumer } from './consumer.js';
import {
  type ControlPlaneState,
  createControlPlaneState,
  openControlPlaneState,
} from './controlplane/index.js';
import { LeaderElector } from './coordination/index.js';
import { CollectorErrorCode, createError } from './errors.js';
import {
  exportingStore,
  forwardK8sText,
  forwardObservations,
  LoadBalancingExporter,
  MemberSource,
  OtlpExporter,
  PersistentQueue,
  registerExporterMetrics,
} from './exporters/index.js';
import { type CollectorMetrics, createCollectorMetrics } from './metrics/index.js';
import { createPipeline, type StorageWriter } from './pipeline/index.js';
import { createControlPlaneSync } from './processors/control-plane-sync/index.js';
import { createLayerProcessor } from './processors/layer/index.js';
import { createStitchingProcessor, type StitchingProcessor } from './processors/stitching/index.js';
import { registerCrosstraceRoutes } from './query/crosstrace/index.js';
import { registerQueryRoutes } from './query/index.js';
import { type K8sWatchHandle, registerK8sRoutes, startK8sWatch } from './receivers/k8s/index.js';
import { loadDefaultKubeConfig } from './receivers/k8s-objects/kube-client.js';
import { createOtlpGrpcServer, type GrpcServerHandle } from './receivers/otlp-grpc/index.js';
import { otlpHttpReceiver, sendOtlpError } from './receivers/otlp-http/index.js';
import {
  addAccessHook,
  checkAccess,
  grpcCredentials,
  HEALTH_PATHS,
  httpsOptions,
  isApiPath,
  loadTlsMaterial,
  registerHealthRoutes,
  registerUi,
  type TlsMaterial,
} from './server/index.js';
import {
  createMemoryStore,
  openPostgresControlPlaneStore,
  openPostgresStore,
  openSqliteStore,
  type RetentionResult,
  type SpanStore,
} from './storage/index.js';

export interface BuildOptions extends Partial<CollectorConfig> {
  /** A store to use instead of opening `storage` (not closed by `close()`). */
  store?: SpanStore;
  /**
   * Stages between the layer processor and the storage writer; default: the stitching processor.
   * Pass `[]` for none.
   */
  processors?: ((next: TracesConsumer) => TracesConsumer)[];
  /**
   * Control-plane state to use (not closed by `close()`); default: per `controlPlaneStorage`, else
   * beside the spans (the SQLite file, the PostgreSQL database), else in memory.
   */
  controlPlane?: ControlPlaneState;
  /** Kubernetes client config for the watch and leader election (default: in cluster, else $KUBECONFIG). */
  kubeConfig?: import('@kubernetes/client-node').KubeConfig;
  /** Resolver for `--gateway-dns` (tests); default node:dns. */
  resolveGateways?: (name: string) => Promise<string[]>;
}

export interface Collector {
  config: Readonly<CollectorConfig>;
  /** OTLP/HTTP app: POST /v1/traces, health routes. */
  otlpHttp: FastifyInstance;
  /** Query app (Jaeger-compatible API), health routes. */
  query: FastifyInstance;
  /** OTLP/gRPC server (undefined when --otlp-grpc-port is -1). */
  grpc?: GrpcServerHandle;
  /** The head of the pipeline: receivers → layer → … → storage writer. */
  pipeline: TracesConsumer;
  writer: StorageWriter;
  store: SpanStore;
  controlPlane: ControlPlaneState;
  metrics: CollectorMetrics;
  /** Agent mode: the load-balancing exporter (also `writer`). */
  forwarder?: LoadBalancingExporter;
  /** With `--otlp-export-endpoint`: the exporter every stored span also goes to. */
  exporter?: OtlpExporter;
  /** With `--leader-election`: the election deciding which replica watches. */
  elector?: LeaderElector;
  /** Binds every listener; ports 0 resolve to the chosen ones. */
  listen(): Promise<{ otlpHttpPort: number; otlpGrpcPort: number | undefined; queryPort: number }>;
  /** Graceful shutdown: stop accepting, drain the queue, commit, close the store. */
  close(): Promise<void>;
}

/** The pod's namespace (the service account's namespace file), else `default`. */
function podNamespace(): string {
  try {
    return (
      readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default'
    );
  } catch {
    return 'default';
  }
}

/** Parses `72h`, `30m`, `10s`, `7d`, `500ms` into milliseconds. */
export function parseDuration(value: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
  if (m === null) return Number.NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}

/** What a store's retention run says the rest of the collector follows: no span starts before it. */
type RetentionBound = Pick<RetentionResult, 'oldestStartNanos'>;

async function openStore(
  config: Readonly<CollectorConfig>,
  onRetention: (r: RetentionBound) => void,
): Promise<SpanStore> {
  if (config.storage === 'memory') return createMemoryStore();
  if (/^postgres(ql)?:\/\//.test(config.storage)) {
    return openPostgresStore({
      url: config.storage,
      retention: config.retention === undefined ? undefined : parseDuration(config.retention),
      maxDbSizeBytes: config.maxDbSizeBytes,
      partitionIntervalMs: parseDuration(config.postgresPartitionInterval),
      onRetention,
    });
  }
  return openSqliteStore({
    path: config.storage.slice('sqlite:'.length),
    retention: config.retention === undefined ? undefined : parseDuration(config.retention),
    maxDbSizeBytes: config.maxDbSizeBytes,
    onRetention,
  });
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * Opens the control-plane state where `--control-plane-storage` says, else beside the spans: in
 * the SQLite file, in the PostgreSQL database (shared by every gateway on it), in memory.
 */
async function openControlPlane(
  config: Readonly<CollectorConfig>,
  retentionMs: number | undefined,
  onError: (err: unknown) => void,
): Promise<ControlPlaneState> {
  const where = config.controlPlaneStorage ?? config.storage;
  if (POSTGRES_URL.test(where)) {
    const store = await openPostgresControlPlaneStore({ url: where });
    return openControlPlaneState({ store, retentionMs, onError });
  }
  if (where.startsWith('sqlite:'))
    return createControlPlaneState({ path: where.slice('sqlite:'.length), retentionMs });
  return createControlPlaneState({ memory: true });
}

function dbSizeOf(store: SpanStore): (() => number | undefined) | undefined {
  const s = store as Partial<{ stats(): { fileBytes: number; walBytes: number } }>;
  if (typeof s.stats !== 'function') return undefined;
  return () => {
    try {
      const st = s.stats!();
      return st.fileBytes + st.walBytes;
    } catch {
      return undefined;
    }
  };
}

function createApp(
  config: Readonly<CollectorConfig>,
  tls: TlsMaterial | undefined,
  isClosing: () => boolean,
): FastifyInstance {
  const opts = {
    logger: { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    forceCloseConnections: 'idle' as const,
    ...(tls === undefined ? {} : { https: httpsOptions(tls) }),
  };
  const app = Fastify(opts) as unknown as FastifyInstance;
  // Responses sent while shutting down close their keep-alive connection, so that close() does not
  // wait for idle clients' keep-alive timeout.
  app.addHook('onSend', async (_req, reply) => {
    if (isClosing()) reply.header('connection', 'close');
  });
  return app;
}

/**
 * Reads the Kubernetes client configuration when the collector is built, so that a collector told
 * to watch fails at start, naming the file, rather than retrying a watch that cannot work.
 */
async function kubeConfigForWatch(): Promise<import('@kubernetes/client-node').KubeConfig> {
  try {
    return await loadDefaultKubeConfig();
  } catch (err) {
    const where = process.env.KUBECONFIG ?? 'the in-cluster service account or ~/.kube/config';
    throw createError(
      CollectorErrorCode.Config,
      `--k8s-watch: cannot read the Kubernetes client configuration (${where}): ${err instanceof Error ? err.message : String(err)}`,
      { statusCode: 400, cause: err },
    );
  }
}

/**
 * Builds a collector: the OTLP/HTTP and query Fastify apps, the OTLP/gRPC server, the pipeline and
 * the store; nothing listens until `listen()`.
 *
 * @example
 * const collector = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: 0, queryPort: 0 });
 * const res = await collector.otlpHttp.inject({ method: 'POST', url: '/v1/traces', payload: {},
 *   headers: { 'content-type': 'application/json' } });
 * await collector.close();
 */
export async function build(options: BuildOptions = {}): Promise<Collector> {
  const {
    store: givenStore,
    processors,
    controlPlane: givenControlPlane,
    kubeConfig: givenKubeConfig,
    resolveGateways,
    ...partial
  } = options;
  const config = resolveConfig(partial);
  const kubeConfig =
    config.k8sWatch && givenKubeConfig === undefined ? await kubeConfigForWatch() : givenKubeConfig;
  const tls = loadTlsMaterial(config);
  const retentionMs = config.retention === undefined ? undefined : parseDuration(config.retention);
  // what is kept beside the spans follows their retention (age and size): told after each run
  let afterRetention: ((r: RetentionBound) => void) | undefined;
  const agent = config.mode === 'agent';
  const exporterTls = {
    ca: config.exporterTlsCa,
    cert: config.exporterTlsCert,
    key: config.exporterTlsKey,
  };
  const queue =
    agent || config.otlpExportEndpoint !== undefined
      ? new PersistentQueue({ path: config.queuePath, maxBytes: config.queueMaxBytes })
      : undefined;
  const exporter =
    config.otlpExportEndpoint === undefined || queue === undefined
      ? undefined
      : new OtlpExporter({
          endpoint: config.otlpExportEndpoint,
          queue,
          tls: exporterTls,
          headers: Object.fromEntries(
            config.otlpExportHeaders.map((h) => [
              h.slice(0, h.indexOf('=')).trim(),
              h.slice(h.indexOf('=') + 1).trim(),
            ]),
          ),
        });
  // an agent stores nothing: its store stays empty
  const baseStore =
    givenStore ?? (agent ? createMemoryStore() : await openStore(config, (r) => afterRetention?.(r)));
  const store = exporter === undefined ? baseStore : exportingStore(baseStore, exporter);
  const ownsStore = givenStore === undefined;
  // an agent keeps no control-plane state: it forwards what it gets to the gateways; a given span
  // store (tests, embedding) keeps it in memory unless asked otherwise
  const controlPlane =
    givenControlPlane ??
    (agent || (givenStore !== undefined && config.controlPlaneStorage === undefined)
      ? createControlPlaneState({ memory: true })
      : await openControlPlane(config, retentionMs, (err) =>
          otlpHttp.log.warn({ err }, 'control-plane backend failed; retrying'),
        ).catch(async (err) => {
          // nothing listens yet: what was opened is closed before the error goes up
          if (ownsStore) await baseStore.close().catch(() => {});
          queue?.close();
          throw err;
        }));
  // a timeline in memory begins empty with this process: agents that see a new id resend their journal
  const timelineId =
    givenControlPlane === undefined && controlPlane.backend === 'memory' && !agent ? randomUUID() : undefined;
  let stitching: StitchingProcessor | undefined;
  const metrics = createCollectorMetrics({ dbSizeBytes: dbSizeOf(baseStore) });
  let forwarder: LoadBalancingExporter | undefined;
  let pipeline: TracesConsumer;
  let writer: StorageWriter;
  if (agent) {
    forwarder = new LoadBalancingExporter({
      queue: queue!,
      members: new MemberSource({
        static: config.gateways,
        dnsName: config.gatewayDns,
        port: config.gatewayPort,
        intervalMs: parseDuration(config.gatewayDnsInterval),
        resolve: resolveGateways,
        onError: (err) => otlpHttp.log.warn({ err }, 'gateway lookup failed; keeping the last members'),
      }),
      protocol: config.gatewayProtocol,
      controlPlanePort: config.gatewayHttpPort,
      tls: config.gatewayTls ? exporterTls : undefined,
      headers:
        config.gatewayToken === undefined ? undefined : { authorization: `Bearer ${config.gatewayToken}` },
      retryAfterSeconds: config.retryAfterSeconds,
      onError: (err) => otlpHttp.log.warn({ err }, 'forwarding to a gateway failed'),
    });
    writer = forwarder;
    pipeline = createLayerProcessor({ next: forwarder });
  } else {
    ({ consumer: pipeline, writer } = createPipeline({
      store,
      maxQueueSpans: config.maxQueueSpans,
      maxQueueBytes: config.maxQueueBytes,
      maxBatchSpans: config.maxBatchSpans,
      retryAfterSeconds: config.retryAfterSeconds,
      metrics,
      processors: processors ?? [
        (next) =>
          createControlPlaneSync({
            next,
            controlPlane,
            onError: (err) => otlpHttp.log.warn({ err }, 'control-plane backend unreadable; stitching on'),
          }),
        (next) => {
          stitching = createStitchingProcessor({
            next,
            store,
            controlPlane,
            toleranceMs: config.stitchingToleranceMs,
            maxAttemptMs: config.stitchingMaxAttemptMs,
            searchLimit: config.stitchingSearchLimit,
            indexSpans: config.stitchingIndexSpans,
            retentionMs,
          });
          return stitching;
        },
      ],
    }));
  }
  if (forwarder !== undefined) registerExporterMetrics(metrics.registry, 'loadbalancing', forwarder);
  if (exporter !== undefined) registerExporterMetrics(metrics.registry, 'otlp', exporter);
  let ready = false;
  let closing: Promise<void> | undefined;
  const isReady = () => ready && closing === undefined;

  const otlpHttp = createApp(config, tls, () => closing !== undefined);
  addAccessHook(otlpHttp, {
    token: config.ingestToken,
    allowedSubjects: config.tlsAllowedSubjects,
    publicPaths: HEALTH_PATHS,
    refuse: (req, reply, statusCode, message) => {
      const ct = String(req.headers['content-type'] ?? '');
      return sendOtlpError(reply, ct.includes('protobuf') ? 'protobuf' : 'json', statusCode, message);
    },
  });
  registerHealthRoutes(otlpHttp, { metrics, isReady });
  await otlpHttp.register(otlpHttpReceiver, {
    pipeline,
    maxBodyBytes: config.maxBodyBytes,
    isOverloaded: () => writer.isFull(),
    maxInflightBytes: config.maxQueueBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    metrics,
  });
  const fwd = forwarder;
  registerK8sRoutes(otlpHttp, {
    pipeline,
    controlPlane,
    bodyLimit: config.maxBodyBytes,
    forward: fwd === undefined ? undefined : (text, _receiver, arrival) => forwardK8sText(fwd, text, arrival),
    timelineId,
  });

  const query = createApp(config, tls, () => closing !== undefined);
  addAccessHook(query, {
    token: config.queryToken,
    allowedSubjects: config.tlsAllowedSubjects,
    publicPaths: HEALTH_PATHS,
    // the UI's assets hold no data; its API calls carry the token
    isPublic:
      config.queryToken !== undefined && config.tlsAllowedSubjects.length === 0
        ? (p) => !isApiPath(p)
        : undefined,
  });
  registerHealthRoutes(query, { metrics, isReady });
  // an agent stores nothing: no query API, no UI
  if (!agent) {
    registerQueryRoutes(query, { store });
    registerCrosstraceRoutes(query, { store, controlPlane });
    if (config.ui) await registerUi(query, { dir: config.uiDir });
  }

  let k8sWatch: K8sWatchHandle | undefined;
  const startWatch = () => {
    k8sWatch ??= startK8sWatch({
      pipeline,
      controlPlane,
      kubeConfig,
      consume:
        fwd === undefined
          ? undefined
          : async (observations) => {
              forwardObservations(fwd, observations);
            },
      onError: (err) => otlpHttp.log.warn({ err }, 'kubernetes watch failed; retrying'),
    });
  };
  const stopWatch = async () => {
    const w = k8sWatch;
    k8sWatch = undefined;
    await w?.stop();
  };
  const elector =
    config.k8sWatch && config.leaderElection
      ? new LeaderElector({
          kubeConfig,
          namespace: config.leaderElectionNamespace ?? podNamespace(),
          name: config.leaderElectionLease,
          // as client-go's components do: the pod (or host) name and a unique suffix per process
          identity: `${process.env.POD_NAME ?? hostname()}_${randomUUID()}`,
          onStartedLeading: () => {
            otlpHttp.log.info('leading: watching the Kubernetes API');
            startWatch();
          },
          onStoppedLeading: async () => {
            otlpHttp.log.info('no longer leading: watch stopped');
            await stopWatch();
          },
          onError: (err) => otlpHttp.log.warn({ err }, 'leader election failed; retrying'),
        })
      : undefined;
  let grpcServer: GrpcServerHandle | undefined;
  if (config.otlpGrpcPort !== -1) {
    grpcServer = createOtlpGrpcServer({
      pipeline,
      retryAfterSeconds: config.retryAfterSeconds,
      metrics,
      maxReceiveMessageBytes: config.maxBodyBytes,
      credentials: grpcCredentials(tls),
      authorize:
        config.ingestToken === undefined && config.tlsAllowedSubjects.length === 0
          ? undefined
          : (call) => {
              const auth = call.metadata.get('authorization')[0];
              const cert = call.getAuthContext()?.sslPeerCertificate;
              const socket = { getPeerCertificate: () => cert ?? {} };
              const refusal = checkAccess(
                { token: config.ingestToken, allowedSubjects: config.tlsAllowedSubjects },
                auth === undefined ? undefined : String(auth),
                socket,
              );
              if (refusal === undefined) return undefined;
              return {
                code:
                  refusal.statusCode === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED,
                details: refusal.message,
              };
            },
    });
  }

  afterRetention = (r) => {
    const byAge =
      retentionMs === undefined ? undefined : (BigInt(Date.now()) - BigInt(retentionMs)) * 1_000_000n;
    const before = r.oldestStartNanos ?? byAge;
    if (before === undefined) return;
    try {
      stitching?.expire(before);
      controlPlane.expire(before);
    } catch (err) {
      otlpHttp.log.warn({ err }, 'expiring control-plane state failed; retried after the next retention run');
    }
  };
  return {
    config,
    otlpHttp,
    query,
    grpc: grpcServer,
    pipeline,
    writer,
    store,
    controlPlane,
    metrics,
    forwarder,
    exporter,
    elector,
    async listen() {
      await forwarder?.start();
      exporter?.start();
      await otlpHttp.listen({ host: config.host, port: config.otlpHttpPort });
      const otlpGrpcPort =
        grpcServer === undefined ? undefined : await grpcServer.listen(config.host, config.otlpGrpcPort);
      await query.listen({ host: config.host, port: config.queryPort });
      if (elector !== undefined) elector.start();
      else if (config.k8sWatch) startWatch();
      ready = true;
      const portOf = (app: FastifyInstance) => {
        const a = app.server.address();
        return typeof a === 'object' && a !== null ? a.port : 0;
      };
      return { otlpHttpPort: portOf(otlpHttp), otlpGrpcPort, queryPort: portOf(query) };
    },
    close() {
      closing ??= (async () => {
        ready = false;
        // Stop accepting; in-flight requests finish (they wait for their commit).
        await elector?.stop();
        await stopWatch();
        await Promise.all([otlpHttp.close(), grpcServer?.close(config.shutdownTimeoutMs)]);
        await writer.close();
        await query.close();
        await exporter?.close();
        if (givenControlPlane === undefined) await controlPlane.close();
        if (ownsStore) await store.close();
      })();
      return closing;
    },
  };
}
