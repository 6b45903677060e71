// The write workload shared by the storage benchmarks: spans of 8-span traces over 8 services and 64
// pods, spread over a day, written as 512-span batches by 8 concurrent clients; and the timing
// helpers that measure it.
import { performance } from 'node:perf_hooks';
import type { KeyValue, Resource, Span } from '../src/model/span.js';
import type { SpanStore } from '../src/storage/index.js';
import { randomHex, rng } from './random.js';

export const PKG = '@crosstrace/collector';
export const BATCH = 512;
/** Batches per round: each writer gets the same 16 × 512 spans in turn. */
export const ROUND_BATCHES = 16;
/** Concurrent clients: at most this many batches in flight (a new one as soon as one is acknowledged). */
export const CONCURRENT_BATCHES = 8;
export const SPANS_PER_TRACE = 8;
export const SERVICES = [
  'frontend',
  'customer',
  'driver',
  'route',
  'redis',
  'mysql',
  'ingress-nginx',
  'kube-apiserver',
];
export const WINDOW_MS = 24 * 3600_000;

export interface Generator {
  batch(): Span[];
  traceIds: string[];
}

export function generator(total: number, baseMs: number): Generator {
  const r = rng(42);
  const resources: Resource[] = [];
  for (const svc of SERVICES) {
    for (let pod = 0; pod < 8; pod++) {
      resources.push({
        attributes: [
          { key: 'service.name', value: { stringValue: svc } },
          { key: 'k8s.namespace.name', value: { stringValue: 'hotrod' } },
          { key: 'k8s.pod.name', value: { stringValue: `${svc}-7d9f${pod}` } },
          { key: 'k8s.node.name', value: { stringValue: `node-${pod % 3}` } },
          { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
        ],
        droppedAttributesCount: 0,
      });
    }
  }
  const scope = { name: '@crosstrace/tracer', version: '0.1.0', attributes: [] };
  const traceIds: string[] = [];
  let written = 0;
  return {
    traceIds,
    batch() {
      const out: Span[] = [];
      while (out.length < BATCH && written < total) {
        const traceId = randomHex(r, 32);
        if (traceIds.length < 100_000) traceIds.push(traceId);
        // Trace starts spread over the window, in roughly arrival order.
        const start = BigInt(baseMs + Math.floor((written / total) * WINDOW_MS)) * 1_000_000n;
        let parent = '';
        for (let i = 0; i < SPANS_PER_TRACE && written < total; i++, written++) {
          const svcIndex = i === 0 ? 0 : Math.floor(r() * SERVICES.length);
          const resource = resources[svcIndex * 8 + Math.floor(r() * 8)];
          const spanId = randomHex(r, 16);
          const s0 = start + BigInt(i) * 1_000_000n;
          const attributes: KeyValue[] = [
            { key: 'http.method', value: { stringValue: 'GET' } },
            { key: 'http.route', value: { stringValue: `/api/v1/op${i}` } },
            { key: 'http.status_code', value: { intValue: r() < 0.02 ? '500' : '200' } },
            { key: 'customer_id', value: { stringValue: `c${Math.floor(r() * 1000)}` } },
            { key: 'http.request_id', value: { stringValue: randomHex(r, 32) } },
            {
              key: 'net.peer.ip',
              value: { stringValue: `10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}` },
            },
          ];
          out.push({
            traceId,
            spanId,
            parentSpanId: parent,
            traceState: '',
            flags: 1,
            name: `HTTP GET /op${i}`,
            kind: i === 0 ? 2 : 3,
            startTimeUnixNano: s0,
            endTimeUnixNano: s0 + BigInt(Math.floor(r() * 50_000_000)),
            attributes,
            droppedAttributesCount: 0,
            events: [],
            droppedEventsCount: 0,
            links: [],
            droppedLinksCount: 0,
            status: { code: 0, message: '' },
            resource,
            scope,
            serviceName: SERVICES[svcIndex],
            layer: svcIndex === 6 ? 'ingress' : svcIndex === 7 ? 'control-plane' : 'app',
          });
          parent = spanId;
        }
      }
      return out;
    },
  };
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function timeEach(n: number, fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

export interface WriteResult {
  spans: number;
  /** spans per second of wall time */
  rate: number;
  /** main-thread busy time per span (event-loop utilisation), µs */
  mainUsPerSpan: number;
  /** CPU time of the whole process (all threads) per span, µs */
  cpuUsPerSpan: number;
}

export interface Writer {
  write: (spans: Span[]) => unknown;
  gen: Generator;
  wallNs: bigint;
  busyMs: number;
  cpuUs: number;
  spans: number;
}

export function writer(write: (spans: Span[]) => unknown, gen: Generator): Writer {
  return { write, gen, wallNs: 0n, busyMs: 0, cpuUs: 0, spans: 0 };
}

/**
 * One round of ROUND_BATCHES 512-span batches, at most CONCURRENT_BATCHES in flight (like that
 * many clients, each sending its next batch once the previous one is acknowledged); false when the
 * generator is exhausted. The batches are generated before the clock starts.
 */
export async function writeRound(w: Writer): Promise<boolean> {
  const batches: Span[][] = [];
  for (let i = 0; i < ROUND_BATCHES; i++) {
    const b = w.gen.batch();
    if (b.length > 0) batches.push(b);
  }
  if (batches.length === 0) return false;
  const e0 = performance.eventLoopUtilization();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const client = async () => {
    while (next < batches.length) await w.write(batches[next++]);
  };
  await Promise.all(Array.from({ length: CONCURRENT_BATCHES }, client));
  w.wallNs += process.hrtime.bigint() - t0;
  const c = process.cpuUsage(c0);
  w.cpuUs += c.user + c.system;
  w.busyMs += performance.eventLoopUtilization(e0).active;
  for (const b of batches) w.spans += b.length;
  return true;
}

export function result(w: Writer): WriteResult {
  return {
    spans: w.spans,
    rate: w.spans / (Number(w.wallNs) / 1e9),
    mainUsPerSpan: (w.busyMs * 1000) / w.spans,
    cpuUsPerSpan: w.cpuUs / w.spans,
  };
}

/** Jaeger's search as the UI runs it: trace ids (last hour, newest first, 20), then each trace. */
export async function jaegerSearch(
  store: SpanStore,
  query: { service: string; tags: Record<string, string> },
): Promise<void> {
  const nowUs = Date.now() * 1000;
  const traceIds = await store.findTraceIds({
    ...query,
    startTimeMinMicros: nowUs - 3_600_000_000,
    startTimeMaxMicros: nowUs,
    limit: 20,
  });
  for (const id of traceIds) await store.getTrace(id);
}

/** A service + customer tag search (most tag values are rare). */
export function customerSearch(r: () => number): { service: string; tags: Record<string, string> } {
  return { service: SERVICES[1 + Math.floor(r() * 5)], tags: { customer_id: `c${Math.floor(r() * 1000)}` } };
}

/** The error search (2 % of the spans of the root service). */
export const ERROR_SEARCH = { service: 'frontend', tags: { 'http.status_code': '500' } } as const;
