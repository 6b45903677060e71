import type { KubeConfig } from '@kubernetes/client-node';
import type { TracesConsumer } from '../../consumer.js';
import type { K8sObject, Observation, ObservationType } from '../../controlplane/k8s-types.js';
import { isRecord } from '../../controlplane/k8s-types.js';
import type { ControlPlaneState } from '../../controlplane/state.js';
import { ingestObservations } from '../k8s/ingest.js';
import { type KubeClientModule, loadDefaultKubeConfig, loadKubeClient } from './kube-client.js';

/** The collections watched by default, with the kind their objects have. */
export const DEFAULT_WATCH_PATHS: readonly string[] = [
  '/api/v1/pods',
  '/apis/discovery.k8s.io/v1/endpointslices',
  '/api/v1/events',
  '/apis/events.k8s.io/v1/events',
  '/apis/apps/v1/replicasets',
  '/apis/apps/v1/deployments',
];

const KIND_OF_PATH: Record<string, { kind: string; apiVersion: string }> = {
  pods: { kind: 'Pod', apiVersion: 'v1' },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
  events: { kind: 'Event', apiVersion: 'v1' },
  replicasets: { kind: 'ReplicaSet', apiVersion: 'apps/v1' },
  deployments: { kind: 'Deployment', apiVersion: 'apps/v1' },
};

export interface K8sWatchOptions {
  pipeline: TracesConsumer;
  controlPlane: ControlPlaneState;
  /**
   * Where batches of watch events go instead of the control-plane state and the pipeline (an
   * agent forwards them to every gateway); rejects when they cannot be taken now (kept, retried).
   */
  consume?: (observations: Observation[]) => Promise<void>;
  /** default: `loadFromDefault()` (the in-cluster service account inside a pod, else ~/.kube/config) */
  kubeConfig?: KubeConfig;
  /** API collection paths to watch (default {@link DEFAULT_WATCH_PATHS}) */
  paths?: readonly string[];
  /** how often buffered watch events go down the pipeline (ms, default 200) */
  flushMs?: number;
  /** wait before re-opening a closed or failed watch (ms, default 1000) */
  retryMs?: number;
  /** most buffered observations while the pipeline refuses (oldest dropped beyond; default 100 000) */
  maxBuffered?: number;
  /** background failures (never thrown) */
  onError?: (err: unknown) => void;
}

export interface K8sWatchCounts {
  events: number;
  flushedBatches: number;
  restarts: number;
  errors: number;
  dropped: number;
}

export interface K8sWatchHandle {
  readonly counts: K8sWatchCounts;
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  /** Stops every watch and flushes. */
  stop(): Promise<void>;
}

function defaultsFor(path: string, eventsApi: boolean): { kind: string; apiVersion: string } | undefined {
  const last = path.split('?')[0].split('/').filter(Boolean).at(-1) ?? '';
  const d = KIND_OF_PATH[last];
  if (d && last === 'events' && eventsApi) return { kind: 'Event', apiVersion: 'events.k8s.io/v1' };
  return d;
}

/**
 * Watches the cluster (Pods, EndpointSlices, both Event APIs, ReplicaSets, Deployments) with
 * `@kubernetes/client-node`, stamps each event with its arrival time, and feeds the control-plane
 * state and the pipeline in small batches. A closed watch resumes from its last resourceVersion
 * (bookmarks on); `410 Gone` starts over. Never throws after start; failures go to `onError`.
 *
 * @example
 * const watch = startK8sWatch({ pipeline, controlPlane });
 * // … on shutdown
 * await watch.stop();
 */
export function startK8sWatch(opts: K8sWatchOptions): K8sWatchHandle {
  // the client library loads with the first watch; a failure to load it or the default
  // configuration is reported and retried like a failed watch
  let client: Promise<InstanceType<KubeClientModule['Watch']>> | undefined;
  const watchClient = () => {
    if (client === undefined) {
      client = (async () => {
        const { Watch } = await loadKubeClient();
        return new Watch(opts.kubeConfig ?? (await loadDefaultKubeConfig()));
      })();
      client.catch(() => {
        client = undefined;
      });
    }
    return client;
  };
  const counts: K8sWatchCounts = { events: 0, flushedBatches: 0, restarts: 0, errors: 0, dropped: 0 };
  const report = (err: unknown) => {
    counts.errors++;
    try {
      opts.onError?.(err);
    } catch {
      // the handler's own failure must not stop the watch
    }
  };
  const maxBuffered = opts.maxBuffered ?? 100_000;
  let buffer: Observation[] = [];
  let stopped = false;
  let flushing: Promise<void> | undefined;
  const controllers = new Set<AbortController>();
  const wakers = new Set<() => void>();

  const flushOnce = async () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    try {
      if (opts.consume !== undefined) await opts.consume(batch);
      else
        await ingestObservations(batch, [], {
          pipeline: opts.pipeline,
          controlPlane: opts.controlPlane,
          receiver: 'k8s-watch',
        });
      counts.flushedBatches++;
    } catch (err) {
      // the pipeline refused (full): keep the events for the next flush, bounded
      buffer = [...batch, ...buffer];
      if (buffer.length > maxBuffered) {
        counts.dropped += buffer.length - maxBuffered;
        buffer = buffer.slice(buffer.length - maxBuffered);
      }
      report(err);
    }
  };
  const flush = (): Promise<void> => {
    flushing = (flushing ?? Promise.resolve()).then(flushOnce);
    return flushing;
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 200);
  timer.unref();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
    });

  const loop = async (path: string) => {
    const defaults = defaultsFor(path, path.includes('events.k8s.io'));
    let resourceVersion: string | undefined;
    while (!stopped) {
      let finish: (err: unknown) => void = () => {};
      const ended = new Promise<unknown>((resolve) => {
        finish = resolve;
      });
      try {
        const watch = await watchClient();
        const controller = await watch.watch(
          path,
          resourceVersion === undefined
            ? { allowWatchBookmarks: true }
            : { allowWatchBookmarks: true, resourceVersion },
          (phase: string, obj: unknown) => {
            if (!isRecord(obj)) return;
            const rv = isRecord(obj.metadata) ? obj.metadata.resourceVersion : undefined;
            if (phase === 'ERROR') {
              if (obj.code === 410) resourceVersion = undefined;
              report(new Error(`watch ${path}: ${String(obj.message ?? 'error event')}`));
              return;
            }
            if (typeof rv === 'string') resourceVersion = rv;
            if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED') return;
            const object = { ...defaults, ...obj } as K8sObject;
            counts.events++;
            buffer.push({
              type: phase as ObservationType,
              object,
              arrivalNanos: BigInt(Date.now()) * 1_000_000n,
            });
          },
          (err: unknown) => finish(err),
        );
        // stop() may have run while the request was still connecting: abort what it could not.
        if (stopped) controller.abort();
        controllers.add(controller);
        const err = await ended;
        controllers.delete(controller);
        if (err && !stopped) report(err);
      } catch (err) {
        if (!stopped) report(err);
        finish(err);
      }
      if (stopped) break;
      counts.restarts++;
      await sleep(opts.retryMs ?? 1000);
    }
  };
  const loops = (opts.paths ?? DEFAULT_WATCH_PATHS).map((p) => loop(p));

  return {
    counts,
    flush,
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const c of controllers) c.abort();
      for (const w of [...wakers]) w();
      // A watch still waiting for an unresponsive API server's headers cannot be aborted yet;
      // shutdown does not wait for it longer than the grace period.
      await Promise.race([
        Promise.allSettled(loops),
        new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref()),
      ]);
      await flush();
    },
  };
}

const STOP_GRACE_MS = 2000;
