import type { FastifyInstance, FastifyReply } from 'fastify';
import { podLifecycleRef } from '../../controlplane/lifecycle.js';
import type { ControlPlaneState } from '../../controlplane/state.js';
import { formatNanos } from '../../controlplane/time.js';
import type { PodRecord } from '../../controlplane/timeline.js';
import { getAttribute, getStringAttribute } from '../../model/attributes.js';
import type { Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import type { SpanStore } from '../../storage/span-store.js';
import { buildServiceMap } from './service-map.js';
import { buildServiceMetrics } from './service-metrics.js';

export type { ServiceMap, ServiceMapEdge, ServiceMapNode } from './service-map.js';
export { buildServiceMap } from './service-map.js';
export type { ServiceMetrics } from './service-metrics.js';
export { buildServiceMetrics, chooseStepMs, quantile } from './service-metrics.js';

export interface CrosstraceRoutesOptions {
  store: SpanStore;
  controlPlane: ControlPlaneState;
  /** Clock in ms for default windows (tests). */
  now?: () => number;
  /** Most spans the service map and service metrics read per request (default 200 000). */
  maxSpans?: number;
}

const DEFAULT_WINDOW_MS = 3600_000;
const LINK_TYPE = 'crosstrace.link.type';

function micros(ns: bigint): number {
  return Number(ns / 1000n);
}

function parseMicros(v: unknown): bigint | undefined | null {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{1,17}$/.test(v)) return null;
  return BigInt(v) * 1000n;
}

function lifecycleOf(p: PodRecord) {
  const ref = podLifecycleRef({ namespace: p.namespace, name: p.name, uid: p.uid });
  return { traceID: ref.traceId, spanID: ref.spanId };
}

/** `namespace/name` → parts; undefined for anything else. */
function podName(v: unknown): { namespace: string; name: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const at = v.indexOf('/');
  return at > 0 ? { namespace: v.slice(0, at), name: v.slice(at + 1) } : undefined;
}

/** Jaeger's list envelope, as the legacy API answers. */
function listOf<T>(data: T[], limit: number, total = data.length) {
  return { data, total, limit, offset: 0, errors: null };
}

function badRequest(msg: string) {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg }] };
}

/**
 * Brings the control-plane view up to what every collector on a shared backend wrote, so that all
 * of them answer alike; a backend that cannot be read answers 503 (retry).
 */
async function refreshed(cp: ControlPlaneState, reply: FastifyReply): Promise<boolean> {
  try {
    await cp.refresh();
    return true;
  } catch (err) {
    reply.log.warn({ err }, 'control-plane backend unreadable');
    reply.code(503).header('retry-after', '1');
    return false;
  }
}

const UNAVAILABLE = {
  data: null,
  total: 0,
  limit: 0,
  offset: 0,
  errors: [{ code: 503, msg: 'control-plane state unavailable; retry' }],
};

function requestRow(s: Span, kind: 'upstream-attempt' | 'app-server', cp: ControlPlaneState) {
  const code = Number(getAttribute(s.attributes, 'http.response.status_code'));
  return {
    traceID: s.traceId,
    spanID: s.spanId,
    kind,
    operationName: s.name,
    serviceName: s.serviceName,
    startTime: micros(s.startTimeUnixNano),
    duration: micros(s.endTimeUnixNano - s.startTimeUnixNano),
    statusCode: Number.isFinite(code) && code > 0 ? code : undefined,
    error: s.status.code === StatusCode.Error,
    address: getStringAttribute(s.attributes, 'server.address') || undefined,
    diagnoses: cp.diagnosesOf(s.traceId, s.spanId).map((d) => d.code),
  };
}

/**
 * Registers the crosstrace query routes on the query app:
 * - `GET /api/crosstrace/diagnoses?since=<µs>&until=<µs>&service=&code=a,b&pod=ns/name&limit=` →
 *   `{data:[{traceID, spanID, code, message, evidence, time, service, pod, lifecycle}]}`, newest first
 * - `GET /api/crosstrace/pods?namespace=` → the pods the control plane knows, with their lifecycle span
 * - `GET /api/crosstrace/pods/:namespace/:name/requests` → the requests the pod served (upstream
 *   attempts to its IPs while it held them, and its app server spans), with status and diagnoses.
 * - `GET /api/crosstrace/service-map?start=<µs>&end=<µs>` → `{nodes, edges, spans, truncated}`
 * - `GET /api/crosstrace/service-metrics?service=&start=<µs>&end=<µs>&step=<ms>` → buckets of
 *   requests/s, error rate, p50/p95/p99 (ms), and per-operation totals
 *
 * @example
 * registerCrosstraceRoutes(queryApp, { store, controlPlane });
 */
export function registerCrosstraceRoutes(app: FastifyInstance, opts: CrosstraceRoutesOptions): void {
  const { store, controlPlane } = opts;
  const now = opts.now ?? Date.now;
  const maxSpans = opts.maxSpans ?? 200_000;
  app.get<{
    Querystring: {
      since?: string;
      until?: string;
      service?: string;
      code?: string;
      pod?: string;
      limit?: string;
    };
  }>('/api/crosstrace/diagnoses', async (req, reply) => {
    const since = parseMicros(req.query.since);
    const until = parseMicros(req.query.until);
    if (since === null) return reply.code(400).send(badRequest('since must be microseconds since the epoch'));
    if (until === null) return reply.code(400).send(badRequest('until must be microseconds since the epoch'));
    const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1)
      return reply.code(400).send(badRequest('limit must be a positive integer'));
    const codes = new Set((req.query.code ?? '').split(',').filter(Boolean));
    const pod = req.query.pod || undefined;
    if (!(await refreshed(controlPlane, reply))) return UNAVAILABLE;
    const all = controlPlane.listDiagnoses({ sinceNanos: since, service: req.query.service || undefined });
    const list = all
      .filter(
        (d) =>
          (until === undefined || d.timeNanos <= until) &&
          (codes.size === 0 || codes.has(d.code)) &&
          (pod === undefined || d.evidence.pod === pod || d.evidence.lastPod === pod),
      )
      .slice(0, limit);
    // the lifecycle span each diagnosed attempt links to, read once per trace
    const lifecycle = new Map<string, { traceID: string; spanID: string }>();
    const byTrace = new Map<string, Set<string>>();
    for (const d of list) byTrace.set(d.traceId, (byTrace.get(d.traceId) ?? new Set()).add(d.spanId));
    for (const [traceId, ids] of byTrace) {
      for (const s of await store.getSpansByIds(traceId, [...ids])) {
        const l = s.links.find((x) => getStringAttribute(x.attributes, LINK_TYPE) === 'pod-lifecycle');
        if (l) lifecycle.set(`${traceId}|${s.spanId}`, { traceID: l.traceId, spanID: l.spanId });
      }
    }
    return listOf(
      list.map((d) => ({
        traceID: d.traceId,
        spanID: d.spanId,
        code: d.code,
        message: d.message,
        evidence: d.evidence,
        time: micros(d.timeNanos),
        service: d.service,
        pod: podName(d.evidence.pod ?? d.evidence.lastPod ?? d.evidence.controllerPod),
        lifecycle: lifecycle.get(`${d.traceId}|${d.spanId}`),
      })),
      limit,
    );
  });
  app.get<{ Querystring: { namespace?: string } }>('/api/crosstrace/pods', async (req, reply) => {
    const ns = req.query.namespace || undefined;
    if (!(await refreshed(controlPlane, reply))) return UNAVAILABLE;
    const pods = controlPlane
      .allPods()
      .filter((p) => ns === undefined || p.namespace === ns)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const diagnosed = new Map<string, number>();
    for (const d of controlPlane.listDiagnoses({})) {
      const p = d.evidence.pod ?? d.evidence.lastPod;
      if (typeof p === 'string') diagnosed.set(p, (diagnosed.get(p) ?? 0) + 1);
    }
    return listOf(
      pods.map((p) => ({
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        ips: p.ips,
        node: p.nodeName || undefined,
        createdAt: p.createdNanos !== undefined ? formatNanos(p.createdNanos) : undefined,
        deletionStartedAt:
          p.deletionStartedNanos !== undefined ? formatNanos(p.deletionStartedNanos) : undefined,
        diagnoses: diagnosed.get(`${p.namespace}/${p.name}`) ?? 0,
        lifecycle: lifecycleOf(p),
      })),
      0,
    );
  });
  const windowOf = (q: { start?: string; end?: string }) => {
    const end = parseMicros(q.end);
    const start = parseMicros(q.start);
    if (end === null || start === null) return undefined;
    const endNs = end ?? BigInt(now()) * 1_000_000n;
    const startNs = start ?? endNs - BigInt(DEFAULT_WINDOW_MS) * 1_000_000n;
    return startNs <= endNs ? { startNs, endNs } : undefined;
  };
  app.get<{ Querystring: { start?: string; end?: string } }>(
    '/api/crosstrace/service-map',
    async (req, reply) => {
      const w = windowOf(req.query);
      if (w === undefined)
        return reply
          .code(400)
          .send(badRequest('start and end must be microseconds since the epoch, start <= end'));
      const spans = await store.findSpans({
        startTimeMinNanos: w.startNs,
        startTimeMaxNanos: w.endNs,
        limit: maxSpans,
      });
      return { ...buildServiceMap(spans), spans: spans.length, truncated: spans.length >= maxSpans };
    },
  );
  app.get<{ Querystring: { service?: string; start?: string; end?: string; step?: string } }>(
    '/api/crosstrace/service-metrics',
    async (req, reply) => {
      const service = req.query.service ?? '';
      if (service === '') return reply.code(400).send(badRequest("parameter 'service' is required"));
      const w = windowOf(req.query);
      if (w === undefined)
        return reply
          .code(400)
          .send(badRequest('start and end must be microseconds since the epoch, start <= end'));
      const step = req.query.step === undefined || req.query.step === '' ? undefined : Number(req.query.step);
      if (step !== undefined && (!Number.isInteger(step) || step < 1000))
        return reply.code(400).send(badRequest('step must be a whole number of ms, at least 1000'));
      const startMs = Number(w.startNs / 1_000_000n);
      const endMs = Number(w.endNs / 1_000_000n);
      if (step !== undefined && (endMs - startMs) / step > 10_000)
        return reply.code(400).send(badRequest('step too small for the window (more than 10 000 buckets)'));
      const spans = await store.findSpans({
        service,
        startTimeMinNanos: w.startNs,
        startTimeMaxNanos: w.endNs,
        limit: maxSpans,
      });
      return {
        ...buildServiceMetrics(service, spans, { startMs, endMs, stepMs: step }),
        truncated: spans.length >= maxSpans,
      };
    },
  );
  app.get<{ Params: { namespace: string; name: string }; Querystring: { limit?: string } }>(
    '/api/crosstrace/pods/:namespace/:name/requests',
    async (req, reply) => {
      const { namespace, name } = req.params;
      const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1)
        return reply.code(400).send(badRequest('limit must be a positive integer'));
      if (!(await refreshed(controlPlane, reply))) return UNAVAILABLE;
      const pods = controlPlane.podsByName(namespace, name);
      if (pods.length === 0)
        return reply.code(404).send({
          ...badRequest(`pod ${namespace}/${name} unknown`),
          errors: [{ code: 404, msg: `pod ${namespace}/${name} unknown` }],
        });
      const rows: ReturnType<typeof requestRow>[] = [];
      const seen = new Set<string>();
      for (const pod of pods) {
        for (const ip of pod.ips) {
          const spans = await store.findSpans({
            layer: 'ingress',
            spanKind: 'client',
            tags: { 'server.address': ip },
            startTimeMinNanos: pod.ipFromNanos ?? pod.createdNanos,
            startTimeMaxNanos: pod.ipUntilNanos,
            limit,
          });
          for (const s of spans) {
            if (controlPlane.podAt(ip, s.startTimeUnixNano)?.key !== pod.key || seen.has(s.spanId)) continue;
            seen.add(s.spanId);
            rows.push(requestRow(s, 'upstream-attempt', controlPlane));
          }
        }
        const appSpans = await store.findSpans({ spanKind: 'server', tags: { 'k8s.pod.name': name }, limit });
        for (const s of appSpans) {
          const ns =
            getStringAttribute(s.attributes, 'k8s.namespace.name') ||
            getStringAttribute(s.resource.attributes, 'k8s.namespace.name');
          if (
            (ns && ns !== namespace) ||
            s.layer === 'ingress' ||
            s.layer === 'control-plane' ||
            seen.has(s.spanId)
          )
            continue;
          seen.add(s.spanId);
          rows.push(requestRow(s, 'app-server', controlPlane));
        }
      }
      rows.sort((a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID));
      const p = pods[pods.length - 1];
      return {
        pod: {
          namespace,
          name,
          uid: p.uid,
          ips: p.ips,
          node: p.nodeName,
          ipFrom: p.ipFromNanos !== undefined ? formatNanos(p.ipFromNanos) : undefined,
          ipUntil: p.ipUntilNanos !== undefined ? formatNanos(p.ipUntilNanos) : undefined,
          deletionStartedAt:
            p.deletionStartedNanos !== undefined ? formatNanos(p.deletionStartedNanos) : undefined,
          lifecycle: lifecycleOf(p),
        },
        ...listOf(rows.slice(0, limit), limit, rows.length),
      };
    },
  );
}
