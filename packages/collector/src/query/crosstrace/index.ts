import type { FastifyInstance } from 'fastify';
import type { ControlPlaneState } from '../../controlplane/state.js';
import { formatNanos } from '../../controlplane/time.js';
import { getAttribute, getStringAttribute } from '../../model/attributes.js';
import type { Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import type { SpanStore } from '../../storage/span-store.js';

export interface CrosstraceRoutesOptions {
  store: SpanStore;
  controlPlane: ControlPlaneState;
}

function micros(ns: bigint): number {
  return Number(ns / 1000n);
}

function parseMicros(v: unknown): bigint | undefined | null {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{1,17}$/.test(v)) return null;
  return BigInt(v) * 1000n;
}

function badRequest(msg: string) {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg }] };
}

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
 * - `GET /api/crosstrace/diagnoses?since=<µs>&service=&limit=` → `{data:[{traceID, spanID, code, message, evidence}]}`
 * - `GET /api/crosstrace/pods/:namespace/:name/requests` → the requests the pod served (upstream
 *   attempts to its IPs while it held them, and its app server spans), with status and diagnoses.
 *
 * @example
 * registerCrosstraceRoutes(queryApp, { store, controlPlane });
 */
export function registerCrosstraceRoutes(app: FastifyInstance, opts: CrosstraceRoutesOptions): void {
  const { store, controlPlane } = opts;
  app.get<{ Querystring: { since?: string; service?: string; limit?: string } }>(
    '/api/crosstrace/diagnoses',
    async (req, reply) => {
      const since = parseMicros(req.query.since);
      if (since === null)
        return reply.code(400).send(badRequest('since must be microseconds since the epoch'));
      const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1)
        return reply.code(400).send(badRequest('limit must be a positive integer'));
      const list = controlPlane.listDiagnoses({
        sinceNanos: since,
        service: req.query.service || undefined,
        limit,
      });
      return {
        data: list.map((d) => ({
          traceID: d.traceId,
          spanID: d.spanId,
          code: d.code,
          message: d.message,
          evidence: d.evidence,
          time: micros(d.timeNanos),
          service: d.service,
        })),
        total: list.length,
        limit,
        offset: 0,
        errors: null,
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
        },
        data: rows.slice(0, limit),
        total: rows.length,
        limit,
        offset: 0,
        errors: null,
      };
    },
  );
}
