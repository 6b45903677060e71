import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TracesConsumer } from '../../consumer.js';
import type { ControlPlaneState } from '../../controlplane/state.js';
import { CollectorErrorCode, isCollectorError } from '../../errors.js';
import type { Arrival } from '../k8s-objects/parse.js';
import type { K8sIngestResult } from './ingest.js';
import { ingestK8sText } from './ingest.js';

/**
 * Response header of the control-plane routes: the id of the timeline this collector holds when
 * that timeline began empty with its process (control-plane state in memory). An agent that sees a
 * new id from a gateway it knows sends it its journal again: the gateway restarted and lost it.
 */
export const TIMELINE_HEADER = 'crosstrace-timeline';

export interface K8sRoutesOptions {
  pipeline: TracesConsumer;
  controlPlane: ControlPlaneState;
  /** maximum body size in bytes (default 32 MiB) */
  bodyLimit?: number;
  /**
   * Instead of recording here: hand the text on (an agent forwards control-plane data to every
   * gateway). Rejects like the pipeline (CollectorError) when it cannot take it now.
   */
  forward?: (text: string, receiver: string, arrivalNanos: Arrival) => Promise<K8sIngestResult>;
  /** Sent as the `TIMELINE_HEADER` of every answer (a timeline in memory). */
  timelineId?: string;
}

function badCount(r: K8sIngestResult): number {
  return Object.values(r.bad).reduce((a, b) => a + b, 0);
}

async function handle(
  body: unknown,
  reply: FastifyReply,
  opts: K8sRoutesOptions,
  receiver: string,
  arrivalNanos: Arrival,
): Promise<unknown> {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (opts.timelineId !== undefined) reply.header(TIMELINE_HEADER, opts.timelineId);
  try {
    const r =
      opts.forward === undefined
        ? await ingestK8sText(text, { ...opts, receiver, arrivalNanos })
        : await opts.forward(text, receiver, arrivalNanos);
    const bad = badCount(r);
    if (r.objects + r.auditEvents === 0 && bad > 0) {
      reply.code(400);
      return {
        code: CollectorErrorCode.K8sBadBody,
        message: 'no Kubernetes object or audit event understood',
        bad: r.bad,
      };
    }
    return {
      accepted: { objects: r.objects, auditEvents: r.auditEvents, duplicates: r.duplicates },
      spans: r.spans,
      rejected: bad,
      bad: r.bad,
    };
  } catch (err) {
    if (isCollectorError(err)) {
      reply.code(err.statusCode);
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return { code: err.code, message: err.message };
    }
    reply.code(500);
    return { code: CollectorErrorCode.K8sInternal, message: 'internal error' };
  }
}

/**
 * The arrival time of a `/k8s/objects` body: now when absent, none for `none` (the objects' own
 * times count), each event's own for `event`, or the given nanoseconds since the Unix epoch (a
 * recorded watch replayed with the times its events arrived).
 */
function parseArrival(q: string | undefined): Arrival | 'invalid' {
  if (q === undefined) return BigInt(Date.now()) * 1_000_000n;
  if (q === 'none') return undefined;
  if (q === 'event') return 'event';
  return /^[0-9]{1,20}$/.test(q) ? BigInt(q) : 'invalid';
}

/**
 * Registers `POST /k8s/audit` (an audit.k8s.io/v1 EventList as the kube-apiserver webhook backend
 * sends it, or JSON lines of Events) and `POST /k8s/objects` (watch events as
 * `kubectl get … -w -o json --output-watch-events` prints them, a `List`, JSON lines or YAML).
 * Both accept any content type as text in an encapsulated scope. Watch events sent to
 * /k8s/objects are stamped with their arrival time unless `?arrival=none` (imports),
 * `?arrival=event` (each event carries its own `arrivalNanos`, as an agent forwards them) or
 * `?arrival=<ns since the epoch>` (a recorded watch replayed).
 *
 * @example
 * registerK8sRoutes(otlpHttpApp, { pipeline, controlPlane });
 */
export function registerK8sRoutes(app: FastifyInstance, opts: K8sRoutesOptions): void {
  const bodyLimit = opts.bodyLimit ?? 32 * 1024 * 1024;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
    scope.post('/k8s/audit', { bodyLimit }, async (req, reply) =>
      handle(req.body, reply, opts, 'k8s-audit', undefined),
    );
    scope.post<{ Querystring: { arrival?: string } }>('/k8s/objects', { bodyLimit }, async (req, reply) => {
      const arrival = parseArrival(req.query.arrival);
      if (arrival === 'invalid') {
        reply.code(400);
        return {
          code: CollectorErrorCode.K8sBadBody,
          message: `arrival must be none, event or nanoseconds since the Unix epoch, not ${JSON.stringify(req.query.arrival)}`,
        };
      }
      return handle(req.body, reply, opts, 'k8s-objects', arrival);
    });
  });
}

export type { Arrival } from '../k8s-objects/parse.js';
export type { K8sWatchCounts, K8sWatchHandle, K8sWatchOptions } from '../k8s-objects/watch.js';
export { DEFAULT_WATCH_PATHS, startK8sWatch } from '../k8s-objects/watch.js';
export type { K8sIngestOptions, K8sIngestResult } from './ingest.js';
export { ingestK8sText, ingestObservations, spansFor } from './ingest.js';
