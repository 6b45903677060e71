// Jaeger's /api/v3 HTTP API (the grpc-gateway JSON of api_v3.QueryService): OTLP/JSON traces
// inside `{ result: ... }`, errors as `{ error: { httpCode, message } }`.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Span } from '../../model/span.js';
import type { SpanStore, TraceQuery } from '../../storage/span-store.js';
import { parseGoDuration, parseIntParam, parseTags, parseTraceId } from '../jaeger/params.js';
import { toOtlpTracesData } from './to-otlp.js';
import { summarizeTrace } from './trace-summary.js';

export interface V3RoutesOptions {
  store: SpanStore;
}

const DEFAULT_NUM_TRACES = 100;

const FindQuerystring = Type.Object({
  'query.service_name': Type.Optional(Type.String()),
  'query.operation_name': Type.Optional(Type.String()),
  /** jaeger-ui's name for the operation (span name) */
  'query.span_name': Type.Optional(Type.String()),
  /** crosstrace: `crosstrace.layer` of a matching span */
  'query.layer': Type.Optional(Type.String()),
  'query.attributes': Type.Optional(Type.String()),
  'query.start_time_min': Type.Optional(Type.String()),
  'query.start_time_max': Type.Optional(Type.String()),
  'query.duration_min': Type.Optional(Type.String()),
  'query.duration_max': Type.Optional(Type.String()),
  'query.num_traces': Type.Optional(Type.String()),
  'query.search_depth': Type.Optional(Type.String()),
  'query.raw_traces': Type.Optional(Type.String()),
});

const TraceParams = Type.Object({ trace_id: Type.String() });
const TraceQuerystring = Type.Object({
  start_time: Type.Optional(Type.String()),
  end_time: Type.Optional(Type.String()),
  raw_traces: Type.Optional(Type.String()),
});
const OperationsQuerystring = Type.Object({
  service: Type.Optional(Type.String()),
  span_kind: Type.Optional(Type.String()),
});

class BadParam extends Error {}

function sendError(reply: FastifyReply, httpCode: number, message: string): FastifyReply {
  return reply.code(httpCode).send({ error: { httpCode, message } });
}

/** RFC 3339 (with optional fraction down to ns) → ns since the epoch; undefined when malformed. */
export function parseRfc3339Nanos(s: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + frac;
}

function time(name: string, v: string): bigint {
  const ns = parseRfc3339Nanos(v);
  if (ns === undefined) throw new BadParam(`malformed parameter ${name}: cannot parse "${v}" as RFC3339`);
  return ns;
}

type FindParams = Static<typeof FindQuerystring>;

/** The store query of a `/api/v3/traces` or `/api/v3/trace-summaries` request. */
function findQuery(q: FindParams): TraceQuery {
  const minS = q['query.start_time_min'] ?? '';
  const maxS = q['query.start_time_max'] ?? '';
  if (minS === '' || maxS === '') {
    throw new BadParam('query.start_time_min and query.start_time_max are required');
  }
  const min = time('query.start_time_min', minS);
  const max = time('query.start_time_max', maxS);
  const dur = (name: string, v: string | undefined) => {
    if (v === undefined || v === '') return undefined;
    const d = parseGoDuration(v);
    if (!d.ok) throw new BadParam(`malformed parameter ${name}: ${d.error}`);
    return d.value / 1000;
  };
  const depth = q['query.num_traces'] ?? q['query.search_depth'];
  let limit = DEFAULT_NUM_TRACES;
  if (depth !== undefined && depth !== '') {
    const n = parseIntParam('query.num_traces', depth);
    if (!n.ok) throw new BadParam(`malformed parameter query.num_traces: ${n.error}`);
    if (n.value > 0) limit = n.value;
  }
  const tags = parseTags(q['query.attributes'] ? [q['query.attributes']] : [], []);
  if (!tags.ok) throw new BadParam(`malformed parameter query.attributes: ${tags.error}`);
  return {
    service: q['query.service_name'] || undefined,
    operation: q['query.operation_name'] || q['query.span_name'] || undefined,
    layer: q['query.layer'] || undefined,
    tags: tags.value,
    startTimeMinMicros: Number(min / 1000n),
    startTimeMaxMicros: Number(max / 1000n),
    durationMinMicros: dur('query.duration_min', q['query.duration_min']),
    durationMaxMicros: dur('query.duration_max', q['query.duration_max']),
    limit,
  };
}

/** Registers /api/v3 on `app` (call inside an encapsulated plugin: it sets an error handler). */
export async function v3Routes(app: FastifyInstance, opts: V3RoutesOptions): Promise<void> {
  const { store } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
    if (err instanceof BadParam || err.validation !== undefined) return sendError(reply, 400, err.message);
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) reply.log.error({ err }, 'query failed');
    return sendError(reply, status, err.message);
  });

  r.get('/api/v3/services', async () => ({ services: await store.getServices() }));

  r.get('/api/v3/operations', { schema: { querystring: OperationsQuerystring } }, async (req, reply) => {
    const service = req.query.service ?? '';
    if (service === '') return sendError(reply, 400, 'parameter service is required');
    const ops = await store.getOperations(service, req.query.span_kind || undefined);
    return { operations: ops.map((o) => ({ name: o.name, spanKind: o.spanKind })) };
  });

  r.get(
    '/api/v3/traces/:trace_id',
    { schema: { params: TraceParams, querystring: TraceQuerystring } },
    async (req, reply) => {
      const id = parseTraceId(req.params.trace_id);
      if (!id.ok) throw new BadParam(`malformed parameter trace_id: ${id.error}`);
      const min = req.query.start_time ? time('start_time', req.query.start_time) : undefined;
      const max = req.query.end_time ? time('end_time', req.query.end_time) : undefined;
      let spans = await store.getTrace(id.value);
      if (min !== undefined || max !== undefined) {
        spans = spans.filter(
          (s) =>
            (min === undefined || s.startTimeUnixNano >= min) &&
            (max === undefined || s.startTimeUnixNano <= max),
        );
      }
      if (spans.length === 0) return sendError(reply, 404, 'trace not found');
      return { result: toOtlpTracesData(spans) };
    },
  );

  r.get('/api/v3/traces', { schema: { querystring: FindQuerystring } }, async (req) => {
    const ids = await store.findTraceIds(findQuery(req.query));
    const spans: Span[] = [];
    for (const id of ids) spans.push(...(await store.getTrace(id)));
    return { result: toOtlpTracesData(spans) };
  });

  r.get('/api/v3/trace-summaries', { schema: { querystring: FindQuerystring } }, async (req) => {
    const ids = await store.findTraceIds(findQuery(req.query));
    const summaries = [];
    for (const id of ids) {
      const spans = await store.getTrace(id);
      if (spans.length > 0) summaries.push(summarizeTrace(id, spans));
    }
    return { summaries };
  });
}
