// Stitching benchmark: spans through the stitching processor (and the pipeline's storage writer)
// into a store, against the same spans written straight to the same kind of store (the peer: no
// stitching) in the same run; per second of wall time and per CPU-second of the whole process
// (every thread: the SQLite writer's too), the latter steadier on a shared machine.
// Two traffic shapes: X-Request-ID joins (exact, no store search) and no headers at all (the
// heuristic: a pod-timeline lookup and store searches per span). CROSSTRACE_BENCH_STITCH_REQUESTS
// sets the number of requests (default 3000; 3 spans each). CROSSTRACE_BENCH_STITCH_BREAKDOWN=1 also
// prints where the difference goes (a diagnostic, on stderr; not part of the rows).
// CROSSTRACE_BENCH_STITCH_ROUNDS and CROSSTRACE_BENCH_STITCH_WARMUP set the measured rounds and the
// untimed ones before them (default 9 and 1). The spans are those the nginx-log-bridge and the
// express-plugin produce; CROSSTRACE_BENCH_STITCH_SPANS=minimal gives them only what a join needs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ingressSpanIds } from '@crosstrace/contract';
import {
  createParser,
  encodeTraceRequest,
  INGRESS_NGINX_FORMAT,
  SpanBuilder,
} from '@crosstrace/nginx-log-bridge';
import { type BenchRow, report } from '../../../scripts/bench/record.js';
import { createControlPlaneState } from '../src/controlplane/index.js';
import { fromPlain } from '../src/model/attributes.js';
import type { Resource, Span } from '../src/model/span.js';
import { SpanKind } from '../src/model/span.js';
import { createStorageWriter } from '../src/pipeline/index.js';
import { createStitchingProcessor } from '../src/processors/stitching/index.js';
import { ingestK8sText } from '../src/receivers/k8s/index.js';
import { decodeTracesProtobuf } from '../src/receivers/otlp/decode-protobuf.js';
import type { SpanStore } from '../src/storage/index.js';
import { createMemoryStore, openSqliteStore } from '../src/storage/index.js';
import { randomHex, rng } from './random.js';

const PKG = '@crosstrace/collector';
const PODS = 20;
/** Measured rounds of ours and the peer (which goes first alternates); the median of each is reported. */
const ROUNDS = Number(process.env.CROSSTRACE_BENCH_STITCH_ROUNDS ?? 9);
/** Untimed rounds of each before the measured ones. */
const WARMUP_ROUNDS = Number(process.env.CROSSTRACE_BENCH_STITCH_WARMUP ?? 1);
const BATCH = 512;
const MS = 1_000_000n;
const T0 = BigInt(Date.parse('2026-01-10T12:00:00Z')) * MS;

/** The pipeline's storage writer, with the same limits for the stitched rounds and the store-alone ones. */
function storageWriter(store: SpanStore) {
  return createStorageWriter({
    store,
    maxQueueSpans: 200_000,
    maxQueueBytes: 256 * 1024 * 1024,
    maxBatchSpans: 20_000,
    retryAfterSeconds: 1,
  });
}

function podName(i: number): string {
  return `web-5d567cc74c-p${'bcdfghjklmnpqrstvwxz'[i % 20]}${'bcdfg'[Math.floor(i / 20) % 5]}zz`;
}

function k8sText(): string {
  const lines: string[] = [];
  const endpoints = [];
  for (let i = 0; i < PODS; i++) {
    const ip = `10.244.${Math.floor(i / 200)}.${(i % 200) + 10}`;
    lines.push(
      JSON.stringify({
        type: 'ADDED',
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: podName(i),
            namespace: 'shop',
            uid: `uid-${i}`,
            creationTimestamp: '2026-01-10T11:00:00Z',
          },
          status: {
            podIP: ip,
            startTime: '2026-01-10T11:00:00Z',
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-10T11:00:05Z' }],
          },
        },
      }),
    );
    endpoints.push({
      addresses: [ip],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: podName(i), namespace: 'shop', uid: `uid-${i}` },
    });
  }
  lines.push(
    JSON.stringify({
      type: 'ADDED',
      object: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'web-x',
          namespace: 'shop',
          uid: 's',
          annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-10T11:00:05Z' },
        },
        endpoints,
      },
    }),
  );
  return lines.join('\n');
}

const resource = (service: string, layer: string, extra: Record<string, string> = {}): Resource => ({
  attributes: fromPlain({ 'service.name': service, 'crosstrace.layer': layer, ...extra }),
  droppedAttributesCount: 0,
});

function span(
  p: Partial<Span> &
    Pick<
      Span,
      | 'traceId'
      | 'spanId'
      | 'name'
      | 'kind'
      | 'startTimeUnixNano'
      | 'endTimeUnixNano'
      | 'resource'
      | 'serviceName'
      | 'layer'
    >,
): Span {
  return {
    parentSpanId: '',
    traceState: '',
    flags: 1,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    scope: { name: 'bench', version: '', attributes: [] },
    ...p,
  };
}

interface Traffic {
  ingress: Span[];
  app: Span[];
  /** each app span's partner (by app span id): its request's ingress trace and upstream attempt */
  partners: Map<string, { traceId: string; attemptSpanId: string }>;
}

/**
 * ingress-nginx's default `log-format-upstream` with `$msec` (the bridge's README: for exact
 * times) and the upstream connect and header times added, as the HotROD demo's ingress logs.
 */
const INGRESS_LOG_FORMAT = `${INGRESS_NGINX_FORMAT} $msec $upstream_connect_time $upstream_header_time`;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** nginx's `$time_local` of `ms` (UTC). */
function timeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The spans of one request, whichever shape the run uses. */
interface RequestSpec {
  i: number;
  pod: number;
  ip: string;
  reqId: string;
  /** ms since the epoch */
  startMs: number;
  /** the app's own trace and span id (before the join) */
  appTraceId: string;
  appSpanId: string;
}

/**
 * The traffic the collector receives from its own producers: ingress spans made by the
 * nginx-log-bridge from ingress-nginx access-log lines (encoded to OTLP by the bridge and decoded by
 * the collector's receiver), and app server spans with the attributes the express-plugin records
 * (semantic conventions, the X-Request-ID header captured when `withRequestId`).
 */
function producedTraffic(
  requests: readonly RequestSpec[],
  withRequestId: boolean,
  podRes: Resource[],
): Omit<Traffic, 'partners'> {
  const parser = createParser({ logFormat: INGRESS_LOG_FORMAT });
  const builder = new SpanBuilder();
  const options = {
    serviceName: 'ingress-nginx',
    resourceAttributes: { 'k8s.namespace.name': 'ingress-nginx' },
  };
  const readable = [];
  for (const q of requests) {
    const endMs = q.startMs + 31;
    const line =
      `203.0.113.${q.i % 250} - - [${timeLocal(endMs)}] "GET /api/items?id=${q.i} HTTP/1.1" 200 1840 "-" ` +
      `"${USER_AGENT}" 512 0.031 [shop-web-8080] [] ${q.ip}:8080 1840 0.030 200 ${q.reqId} ` +
      `${(endMs / 1000).toFixed(3)} 0.001 0.028`;
    const r = parser.parse(line);
    if (!r.ok) throw new Error(`stitching bench: the bridge refused its own line (${r.reason}): ${line}`);
    readable.push(...builder.spans(r.record, options));
  }
  const decoded = decodeTracesProtobuf(encodeTraceRequest(readable));
  if (!decoded.ok || decoded.spans.length !== 2 * requests.length)
    throw new Error(
      `stitching bench: the bridge's spans did not decode (${decoded.ok ? decoded.rejectedReason : decoded.reason})`,
    );
  const app = requests.map((q) => {
    const attributes: Record<string, string | number> = {
      'http.request.method': 'GET',
      'url.path': '/api/items',
      'url.query': `id=${q.i}`,
      'url.scheme': 'http',
      'http.route': '/api/items',
      'http.response.status_code': 200,
      'server.address': 'shop.example.com',
      'server.port': 8080,
      'client.address': '203.0.113.7',
      'network.peer.address': '10.244.1.5',
      'network.peer.port': 40_000 + (q.i % 20_000),
      'network.protocol.version': '1.1',
      'user_agent.original': USER_AGENT,
    };
    if (withRequestId) attributes['http.request.header.x-request-id'] = q.reqId;
    const start = BigInt(q.startMs) * MS;
    return span({
      traceId: q.appTraceId,
      spanId: q.appSpanId,
      name: 'GET /api/items',
      kind: SpanKind.Server,
      startTimeUnixNano: start + 1_600_000n,
      endTimeUnixNano: start + 29_800_000n,
      attributes: fromPlain(attributes),
      resource: podRes[q.pod],
      serviceName: 'web',
      layer: 'app',
      scope: { name: '@crosstrace/express-plugin', version: '0.1.0', attributes: [] },
    });
  });
  return { ingress: decoded.spans, app };
}

/** The ingress trace and attempt of each request's app span (the bridge's X-Request-ID derivation). */
function partnersOf(requests: readonly RequestSpec[]): Traffic['partners'] {
  const partners: Traffic['partners'] = new Map();
  for (const q of requests) {
    const ids = ingressSpanIds(q.reqId, 1)!;
    partners.set(q.appSpanId, { traceId: ids.traceId, attemptSpanId: ids.attemptSpanIds[0] });
  }
  return partners;
}

/** The fewest attributes a join needs: the worst case for the ratio (stitching adds the same, the rows are small). */
function minimalTraffic(
  requests: readonly RequestSpec[],
  withRequestId: boolean,
  podRes: Resource[],
): Omit<Traffic, 'partners'> {
  const ingressRes = resource('ingress-nginx', 'ingress');
  const ingress: Span[] = [];
  const app: Span[] = [];
  for (const q of requests) {
    const ids = ingressSpanIds(q.reqId, 1)!;
    const start = BigInt(q.startMs) * MS;
    const end = start + 30n * MS;
    ingress.push(
      span({
        traceId: ids.traceId,
        spanId: ids.serverSpanId,
        name: 'GET shop-web-8080',
        kind: SpanKind.Server,
        startTimeUnixNano: start,
        endTimeUnixNano: end + MS,
        resource: ingressRes,
        serviceName: 'ingress-nginx',
        layer: 'ingress',
      }),
      span({
        traceId: ids.traceId,
        spanId: ids.attemptSpanIds[0],
        parentSpanId: ids.serverSpanId,
        name: 'upstream',
        kind: SpanKind.Client,
        startTimeUnixNano: start + 100_000n,
        endTimeUnixNano: end,
        attributes: fromPlain({
          'server.address': q.ip,
          'server.port': 8080,
          'http.response.status_code': 200,
        }),
        resource: ingressRes,
        serviceName: 'ingress-nginx',
        layer: 'ingress',
      }),
    );
    app.push(
      span({
        traceId: q.appTraceId,
        spanId: q.appSpanId,
        name: 'GET /api/items',
        kind: SpanKind.Server,
        startTimeUnixNano: start + 600_000n,
        endTimeUnixNano: end - 200_000n,
        attributes: withRequestId ? fromPlain({ 'http.request.header.x-request-id': q.reqId }) : [],
        resource: podRes[q.pod],
        serviceName: 'web',
        layer: 'app',
      }),
    );
  }
  return { ingress, app };
}

/** Which spans the run uses (`CROSSTRACE_BENCH_STITCH_SPANS`): `produced` (default) or `minimal`. */
const SPANS = process.env.CROSSTRACE_BENCH_STITCH_SPANS ?? 'produced';

function traffic(requests: number, withRequestId: boolean): Traffic {
  const r = rng(withRequestId ? 11 : 12);
  const podRes = Array.from({ length: PODS }, (_, i) =>
    resource('web', 'app', { 'k8s.pod.name': podName(i), 'k8s.namespace.name': 'shop' }),
  );
  const t0 = Number(T0 / MS);
  const specs: RequestSpec[] = [];
  for (let i = 0; i < requests; i++) {
    const pod = Math.floor(r() * PODS);
    const ip = `10.244.${Math.floor(pod / 200)}.${(pod % 200) + 10}`;
    const reqId = randomHex(r, 32);
    specs.push({
      i,
      pod,
      ip,
      reqId,
      startMs: t0 + 2 * i,
      appTraceId: randomHex(r, 32),
      appSpanId: randomHex(r, 16),
    });
  }
  if (SPANS !== 'produced' && SPANS !== 'minimal')
    throw new Error(`CROSSTRACE_BENCH_STITCH_SPANS: produced or minimal, not ${SPANS}`);
  const spans = (SPANS === 'minimal' ? minimalTraffic : producedTraffic)(specs, withRequestId, podRes);
  return { ...spans, partners: partnersOf(specs) };
}

/**
 * How many of the app's spans a stitched run joined to their own request's upstream attempt: moved
 * into its ingress trace under the attempt (X-Request-ID), or linked from that attempt (heuristic).
 * The bench refuses to time a run that joins less than all of them.
 */
function joinedAppSpans(t: Traffic, written: readonly Span[]): number {
  const joined = new Set<string>();
  for (const s of written) {
    if (s.layer === 'app') {
      const p = t.partners.get(s.spanId);
      if (p !== undefined && s.traceId === p.traceId && s.parentSpanId === p.attemptSpanId)
        joined.add(s.spanId);
      continue;
    }
    for (const l of s.links) {
      const p = t.partners.get(l.spanId);
      if (p !== undefined && s.traceId === p.traceId && s.spanId === p.attemptSpanId) joined.add(l.spanId);
    }
  }
  return t.app.filter((a) => joined.has(a.spanId)).length;
}

/** Spans per second of wall time, and per CPU-second of the whole process (every thread). */
interface Rate {
  wall: number;
  cpu: number;
}

/** Runs `fn` over `spans` and measures it. */
async function measure(count: number, fn: () => Promise<void>): Promise<Rate> {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { wall: count / wall, cpu: count / ((cpu.user + cpu.system) / 1e6) };
}

async function stitched(
  t: { ingress: Span[]; app: Span[] },
  open: () => Promise<SpanStore>,
  written?: Span[],
): Promise<Rate> {
  const store = await open();
  const controlPlane = createControlPlaneState();
  // the pipeline's storage writer carries the batches and the processor's rewrites, as in the collector
  const next = storageWriter(store);
  const stitching = createStitchingProcessor({
    next:
      written === undefined
        ? next
        : {
            consume(b) {
              if (b.receiver === 'bench') written.push(...b.spans, ...(b.rewrites ?? []));
              return next.consume(b);
            },
          },
    store,
    controlPlane,
  });
  await ingestK8sText(k8sText(), { pipeline: stitching, controlPlane, receiver: 'k8s-objects' });
  const spans = [...t.ingress, ...t.app];
  const rate = await measure(spans.length, async () => {
    for (let i = 0; i < spans.length; i += BATCH)
      await stitching.consume({ spans: spans.slice(i, i + BATCH), receiver: 'bench' });
  });
  await store.close();
  return rate;
}

async function direct(t: { ingress: Span[]; app: Span[] }, open: () => Promise<SpanStore>): Promise<Rate> {
  const store = await open();
  const spans = [...t.ingress, ...t.app];
  const rate = await measure(spans.length, async () => {
    for (let i = 0; i < spans.length; i += BATCH) await store.writeSpans(spans.slice(i, i + BATCH));
  });
  await store.close();
  return rate;
}

/** `spans` through the pipeline's storage writer alone (no stitching), per one of `count` spans. */
async function viaWriter(
  spans: readonly Span[],
  count: number,
  open: () => Promise<SpanStore>,
): Promise<Rate> {
  const store = await open();
  const next = storageWriter(store);
  const rate = await measure(count, async () => {
    for (let i = 0; i < spans.length; i += BATCH)
      await next.consume({ spans: spans.slice(i, i + BATCH), receiver: 'bench' });
  });
  await store.close();
  return rate;
}

/**
 * Diagnostic: CPU µs a span (median of the rounds) of the store alone, the storage writer alone
 * with the spans as received and with everything the processor writes (the spans as it leaves
 * them and its rewrites: what the larger and re-written stored spans cost), and the whole stitched
 * path (the rest is the processor's work).
 */
async function breakdown(label: string, t: { ingress: Span[]; app: Span[] }, open: () => Promise<SpanStore>) {
  const written: Span[] = [];
  await stitched(t, open, written);
  const raw = [...t.ingress, ...t.app];
  const runs: [string, () => Promise<Rate>][] = [
    ['store alone', () => direct(t, open)],
    ['storage writer, spans as received', () => viaWriter(raw, raw.length, open)],
    ['storage writer, what stitching writes', () => viaWriter(written, raw.length, open)],
    ['stitching + storage writer', () => stitched(t, open)],
  ];
  const cpu = runs.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < runs.length; i++) cpu[i].push(1e6 / (await runs[i][1]()).cpu);
  process.stderr.write(`stitching breakdown, ${label} (CPU µs a span, median of ${ROUNDS}):\n`);
  for (let i = 0; i < runs.length; i++)
    process.stderr.write(`  ${runs[i][0].padEnd(40)} ${median(cpu[i]).toFixed(2)}\n`);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export default async function run(): Promise<void> {
  const requests = Number(process.env.CROSSTRACE_BENCH_STITCH_REQUESTS ?? 3000);
  const dir = mkdtempSync(join(tmpdir(), 'ct-bench-stitch-'));
  let n = 0;
  const stores: [string, () => Promise<SpanStore>][] = [['memory', async () => createMemoryStore()]];
  try {
    await (await openSqliteStore({ path: join(dir, 'probe.db') })).close();
    stores.unshift(['SQLite', () => openSqliteStore({ path: join(dir, `b${n++}.db`) })]);
  } catch (err) {
    process.stderr.write(`stitching bench: SQLite store unavailable, memory only (${String(err)})\n`);
  }
  const rows: BenchRow[] = [];
  try {
    for (const [storeName, open] of stores)
      for (const [label, withId] of [
        ['X-Request-ID join', true],
        ['no headers: pod-timeline heuristic', false],
      ] as const) {
        const t = traffic(requests, withId);
        if (process.env.CROSSTRACE_BENCH_STITCH_BREAKDOWN === '1' && storeName === 'SQLite')
          await breakdown(`${label} (${storeName} store)`, t, open);
        const ours: Rate[] = [];
        const peer: Rate[] = [];
        const written: Span[] = [];
        await stitched(t, open, written);
        const joined = joinedAppSpans(t, written);
        if (joined !== t.app.length)
          throw new Error(`stitching bench: ${label} joined ${joined} of ${t.app.length} app spans`);
        // untimed rounds of each first: both sides' code (the store's is shared) is compiled before
        // either is measured
        for (let i = 0; i < WARMUP_ROUNDS; i++) {
          await stitched(t, open);
          await direct(t, open);
        }
        // alternating which goes first, so that neither always runs after the other's garbage
        for (let round = 0; round < ROUNDS; round++) {
          if (round % 2 === 0) {
            ours.push(await stitched(t, open));
            peer.push(await direct(t, open));
          } else {
            peer.push(await direct(t, open));
            ours.push(await stitched(t, open));
          }
        }
        for (const [unit, pick] of [
          ['spans/s', (r: Rate) => r.wall],
          ['spans/CPU-s', (r: Rate) => r.cpu],
        ] as const)
          rows.push({
            package: PKG,
            benchmark: `stitching, ${label} (${storeName} store)`,
            ours: median(ours.map(pick)),
            peer: median(peer.map(pick)),
            peerName: 'same spans, store only',
            unit,
            higherIsBetter: true,
            note: `${requests} requests, ${PODS} pods, median of ${ROUNDS} after ${WARMUP_ROUNDS} untimed`,
          });
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
