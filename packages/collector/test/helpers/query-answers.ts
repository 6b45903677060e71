// A deterministic data set and the query API requests a Jaeger UI or Grafana makes on it: the same
// store contents must get the same answers from every backend and from any number of collectors
// sharing one database.
import type { FastifyInstance } from 'fastify';
import type { Span } from '../../src/model/span.js';
import { BASE_MS, makeSpan, ns, resourceOf } from './store-spans.js';

/** `n` traces: frontend (server) → driver (client, OT child_of) → redis (internal), with tags that vary. */
export function queryDataset(n = 40): Span[] {
  const spans: Span[] = [];
  const hex = (i: number, len: number, salt: string) =>
    (salt + i.toString(16).padStart(8, '0')).padStart(len, '0').slice(-len);
  for (let i = 0; i < n; i++) {
    const traceId = hex(i, 32, 'a11ce');
    const at = i * 30_000;
    const root = makeSpan({
      traceId,
      spanId: hex(i, 16, '1'),
      service: 'frontend',
      resource: resourceOf('frontend', { 'k8s.pod.name': `frontend-${i % 3}` }),
      name: i % 2 === 0 ? 'HTTP GET /dispatch' : 'HTTP GET /config',
      kind: 2,
      layer: i % 4 === 0 ? 'ingress' : 'app',
      startTimeUnixNano: ns(at),
      endTimeUnixNano: ns(at + 100 + i * 10),
      attributes: [
        { key: 'http.status_code', value: { intValue: i % 5 === 0 ? '502' : '200' } },
        { key: 'customer', value: { stringValue: `c${i % 7}` } },
      ],
      status: { code: i % 5 === 0 ? 2 : 0, message: i % 5 === 0 ? 'bad gateway' : '' },
    });
    const child = makeSpan({
      traceId,
      spanId: hex(i, 16, '2'),
      service: 'driver',
      resource: resourceOf('driver'),
      name: 'FindNearest',
      kind: 3,
      startTimeUnixNano: ns(at + 5),
      endTimeUnixNano: ns(at + 50),
      links: [
        {
          traceId,
          spanId: root.spanId,
          traceState: '',
          attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'child_of' } }],
          droppedAttributesCount: 0,
          flags: 0,
        },
      ],
    });
    const leaf = makeSpan({
      traceId,
      spanId: hex(i, 16, '3'),
      parentSpanId: child.spanId,
      service: 'redis',
      resource: resourceOf('redis'),
      name: 'GET',
      kind: 1,
      startTimeUnixNano: ns(at + 6),
      endTimeUnixNano: ns(at + 7),
    });
    spans.push(root, child, leaf);
  }
  return spans;
}

/** The requests, Jaeger's legacy API and its v3 API. */
export function queryRequests(dataset: readonly Span[]): string[] {
  const startUs = BASE_MS * 1000;
  const endUs = (BASE_MS + 3_600_000) * 1000;
  const range = `start=${startUs}&end=${endUs}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const tags = (o: Record<string, string>) => encodeURIComponent(JSON.stringify(o));
  const ids = [...new Set(dataset.map((s) => s.traceId))];
  return [
    '/api/services',
    '/api/services/frontend/operations',
    '/api/operations?service=driver&spanKind=client',
    `/api/dependencies?endTs=${BASE_MS + 3_600_000}&lookback=3600000`,
    `/api/traces?service=frontend&${range}&limit=10`,
    `/api/traces?service=frontend&operation=${encodeURIComponent('HTTP GET /config')}&${range}`,
    `/api/traces?service=frontend&${range}&tags=${tags({ error: 'true' })}`,
    `/api/traces?service=frontend&${range}&tags=${tags({ 'http.status_code': '200', customer: 'c3' })}`,
    `/api/traces?service=frontend&${range}&tags=${tags({ 'k8s.pod.name': 'frontend-1' })}&limit=5`,
    `/api/traces?service=frontend&${range}&tags=${tags({ 'crosstrace.layer': 'ingress' })}`,
    `/api/traces?service=frontend&${range}&minDuration=400ms`,
    `/api/traces?service=driver&${range}&maxDuration=50ms`,
    `/api/traces?service=redis&start=${(BASE_MS + 300_000) * 1000}&end=${(BASE_MS + 600_000) * 1000}`,
    `/api/traces/${ids[0]}`,
    `/api/traces/${ids[ids.length - 1]}`,
    `/api/traces/${'f'.repeat(32)}`,
    `/api/traces?traceID=${ids[1]}&traceID=${ids[2]}`,
    '/api/v3/services',
    '/api/v3/operations?service=frontend&span_kind=server',
    `/api/v3/traces/${ids[3]}`,
    `/api/v3/traces?query.service_name=frontend&query.start_time_min=${iso(BASE_MS)}&query.start_time_max=${iso(BASE_MS + 3_600_000)}&query.num_traces=7&query.attributes=${tags({ customer: 'c2' })}`,
  ];
}

type Json = Record<string, unknown>;

/**
 * What an answer means, without what the API leaves unspecified: the order of dependency links,
 * and how v3 groups spans into resourceSpans (by the resource object a store hands back, which a
 * dictionary-backed store shares between traces and the memory store does not).
 */
function normalize(url: string, body: unknown): unknown {
  if (url.startsWith('/api/dependencies')) {
    const b = body as { data: Array<{ parent: string; child: string }> };
    const key = (d: { parent: string; child: string }) => `${d.parent}\u0000${d.child}`;
    return { ...b, data: [...b.data].sort((x, y) => (key(x) < key(y) ? -1 : 1)) };
  }
  if (url.startsWith('/api/v3/traces')) {
    const b = body as { result?: { resourceSpans: Json[] } };
    if (b.result === undefined) return body;
    const flat: Json[] = [];
    for (const rs of b.result.resourceSpans)
      for (const ss of rs.scopeSpans as Json[])
        for (const span of ss.spans as Json[]) flat.push({ resource: rs.resource, scope: ss.scope, span });
    const id = (x: Json) => `${(x.span as Json).traceId}${(x.span as Json).spanId}`;
    return flat.sort((x, y) => (id(x) < id(y) ? -1 : 1));
  }
  return body;
}

/** Status and (normalized) body of every request, for t.same between backends. */
export async function queryAnswers(
  app: FastifyInstance | { inject: FastifyInstance['inject'] },
  urls: readonly string[],
): Promise<Record<string, { status: number; body: unknown }>> {
  const out: Record<string, { status: number; body: unknown }> = {};
  for (const url of urls) {
    const res = await app.inject(url);
    out[url] = { status: res.statusCode, body: normalize(url, res.json()) };
  }
  return out;
}
