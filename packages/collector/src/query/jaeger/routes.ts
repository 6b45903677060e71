// Jaeger's legacy JSON API (/api/...), the one Grafana's Jaeger data source and the Jaeger UI use.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SpanStore, TraceQuery } from '../../storage/span-store.js';
import type { JaegerResponse, JaegerTrace } from './jaeger-model.js';
import { list, parseGoDuration, parseIntParam, parseTags, parseTraceId } from './params.js';
import { toJaegerTrace } from './to-jaeger.js';

export interface JaegerRoutesOptions {
  store: SpanStore;
  /** Clock in ms, for tests (default Date.now). */
  now?: () => number;
}

/** Jaeger's defaults (cmd/query/app/query_parser.go). */
const DEFAULT_LIMIT = 100;
const DEFAULT_SEARCH_LOOKBACK_MS = 2 * 24 * 3600_000;
const DEFAULT_DEPENDENCIES_LOOKBACK_MS = 24 * 3600_000;

const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);

const SearchQuerystring = Type.Object({
  service: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  tags: Type.Optional(StringOrList),
  tag: Type.Optional(StringOrList),
  traceID: Type.Optional(StringOrList),
  start: Type.Optional(Type.String()),
  end: Type.Optional(Type.String()),
  lookback: Type.Optional(Type.String()),
  minDuration: Type.Optional(Type.String()),
  maxDuration: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String()),
  spanKind: Type.Optional(Type.String()),
  layer: Type.Optional(Type.String()),
});

const TraceParams = Type.Object({ id: Type.String() });
const ServiceParams = Type.Object({ service: Type.String() });
const OperationsQuerystring = Type.Object({
  service: Type.Optional(Type.String()),
  spanKind: Type.Optional(Type.String()),
});
const DependenciesQuerystring = Type.Object({
  endTs: Type.Optional(Type.String()),
  lookback: Type.Optional(Type.String()),
});

function envelope<T>(data: T, total = 0): JaegerResponse<T> {
  return { data, total, limit: 0, offset: 0, errors: null };
}

class BadParam extends Error {}

function sendError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  const body: JaegerResponse<null> = { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
  return reply.code(code).send(body);
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new BadParam(r.error);
  return r.value;
}

/** µs from a Jaeger `start`/`end` parameter. */
function micros(name: string, v: string | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : must(parseIntParam(name, v));
}

/** Registers the legacy API on `app` (call inside an encapsulated plugin: it sets an error handler). */
export async function jaegerRoutes(app: FastifyInstance, opts: JaegerRoutesOptions): Promise<void> {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
    if (err instanceof BadParam || err.validation !== undefined) return sendError(reply, 400, err.message);
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) reply.log.error({ err }, 'query failed');
    return sendError(reply, status, err.message);
  });

  r.get('/api/services', async () => {
    const services = await store.getServices();
    return envelope(services, services.length);
  });

  r.get('/api/services/:service/operations', { schema: { params: ServiceParams } }, async (req) => {
    const ops = await store.getOperations(req.params.service);
    const names = [...new Set(ops.map((o) => o.name))].sort();
    return envelope(names, names.length);
  });

  r.get('/api/operations', { schema: { querystring: OperationsQuerystring } }, async (req, reply) => {
    const service = req.query.service ?? '';
    if (service === '') return sendError(reply, 400, "parameter 'service' is required");
    const ops = await store.getOperations(service, req.query.spanKind || undefined);
    return envelope(ops, ops.length);
  });

  r.get('/api/traces/:id', { schema: { params: TraceParams } }, async (req, reply) => {
    const id = must(parseTraceId(req.params.id));
    const spans = await store.getTrace(id);
    if (spans.length === 0) return sendError(reply, 404, 'trace not found');
    return envelope([toJaegerTrace(id, spans)], 1);
  });

  r.get('/api/traces', { schema: { querystring: SearchQuerystring } }, async (req, reply) => {
    const q = req.query;
    const traceIds = list(q.traceID).map((id) => must(parseTraceId(id)));
    if (traceIds.length > 0) {
      const traces: JaegerTrace[] = [];
      const errors: Array<{ code: number; msg: string; traceID: string }> = [];
      for (const id of traceIds) {
        const spans = await store.getTrace(id);
        if (spans.length === 0) errors.push({ code: 404, msg: 'trace not found', traceID: id });
        else traces.push(toJaegerTrace(id, spans));
      }
      return { ...envelope(traces, traces.length), errors: errors.length > 0 ? errors : null };
    }
    const service = q.service ?? '';
    if (service === '') return sendError(reply, 400, "parameter 'service' is required");
    const endUs = micros('end', q.end) ?? now() * 1000;
    let startUs = micros('start', q.start);
    if (startUs === undefined) {
      const lb =
        q.lookback && q.lookback !== 'custom' ? must(parseGoDuration(q.lookback, { days: true })) : undefined;
      startUs = endUs - (lb !== undefined ? lb / 1000 : DEFAULT_SEARCH_LOOKBACK_MS * 1000);
    }
    if (startUs > endUs) throw new BadParam("'start' should be before 'end'");
    const limit =
      q.limit === undefined || q.limit === '' ? DEFAULT_LIMIT : must(parseIntParam('limit', q.limit));
    if (limit < 0) throw new BadParam("unable to parse param 'limit': must be positive");
    const dur = (name: string, v: string | undefined) => {
      if (v === undefined || v === '') return undefined;
      const d = parseGoDuration(v);
      if (!d.ok) throw new BadParam(`unable to parse param '${name}': ${d.error}`);
      return d.value / 1000;
    };
    const minDuration = dur('minDuration', q.minDuration);
    const maxDuration = dur('maxDuration', q.maxDuration);
    if (minDuration !== undefined && maxDuration !== undefined && maxDuration < minDuration) {
      throw new BadParam("'maxDuration' should be greater than 'minDuration'");
    }
    const tags = must(parseTags(list(q.tags), list(q.tag)));
    const query: TraceQuery = {
      service,
      operation: q.operation || undefined,
      tags,
      spanKind: q.spanKind || undefined,
      layer: q.layer || undefined,
      startTimeMinMicros: startUs,
      startTimeMaxMicros: endUs,
      durationMinMicros: minDuration,
      durationMaxMicros: maxDuration,
      limit: limit === 0 ? DEFAULT_LIMIT : limit,
    };
    const ids = await store.findTraceIds(query);
    const traces: JaegerTrace[] = [];
    for (const id of ids) {
      const spans = await store.getTrace(id);
      if (spans.length > 0) traces.push(toJaegerTrace(id, spans));
    }
    return envelope(traces, traces.length);
  });

  r.get('/api/dependencies', { schema: { querystring: DependenciesQuerystring } }, async (req) => {
    const endTs = req.query.endTs ? must(parseIntParam('endTs', req.query.endTs)) : now();
    const lookback = req.query.lookback
      ? must(parseIntParam('lookback', req.query.lookback))
      : DEFAULT_DEPENDENCIES_LOOKBACK_MS;
    const links = await store.getDependencies(endTs, lookback);
    return envelope(links, links.length);
  });
}
