// Writes the stitching scenarios (eval/scenarios/*.json) deterministically: `tsx eval/generate.ts`.
// The files are the data the eval and the tests read; this script documents how they were made.
import { mkdirSync, writeFileSync } from 'node:fs';
import { ingressSpanIds } from '@crosstrace/contract';
import type { Scenario, ScenarioSpan } from './scenario.js';

const MS = 1_000_000n;
const T0 = BigInt(Date.parse('2026-01-10T12:00:00Z')) * MS;
const NS = 'shop';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 16).toString(16);
  return s;
}

function iso(ns: bigint): string {
  const ms = Number(ns / MS);
  const micros = Number((ns / 1000n) % 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

function isoSeconds(ns: bigint): string {
  return `${new Date(Number(ns / MS)).toISOString().slice(0, 19)}Z`;
}

interface PodSpec {
  name: string;
  uid: string;
  ip: string;
  created: bigint;
  ready?: bigint;
  notReady?: bigint;
  deletionStart?: bigint;
  grace?: number;
  finished?: bigint;
}

let rv = 1000;
function pod(p: PodSpec): Record<string, unknown> {
  const conditions = [];
  if (p.ready !== undefined)
    conditions.push({
      type: 'Ready',
      status: p.notReady !== undefined ? 'False' : 'True',
      lastTransitionTime: isoSeconds(p.notReady ?? p.ready),
    });
  const meta: Record<string, unknown> = {
    name: p.name,
    namespace: NS,
    uid: p.uid,
    resourceVersion: String(++rv),
    creationTimestamp: isoSeconds(p.created),
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: p.name.replace(/-[^-]+$/, ''),
        uid: 'rs',
        controller: true,
      },
    ],
  };
  if (p.deletionStart !== undefined) {
    meta.deletionTimestamp = isoSeconds(p.deletionStart + BigInt(p.grace ?? 30) * 1000n * MS);
    meta.deletionGracePeriodSeconds = p.grace ?? 30;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta,
    spec: { nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      startTime: isoSeconds(p.created),
      conditions,
      ...(p.finished !== undefined
        ? {
            containerStatuses: [
              { name: 'web', state: { terminated: { finishedAt: isoSeconds(p.finished) } } },
            ],
          }
        : {}),
    },
  };
}

interface Ep {
  ip: string;
  pod: PodSpec;
  ready?: boolean;
  terminating?: boolean;
}

function slice(trigger: bigint, endpoints: Ep[]): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: {
      name: 'web-x7k2p',
      namespace: NS,
      uid: 'slice-uid-1',
      resourceVersion: String(++rv),
      creationTimestamp: isoSeconds(T0 - 3600_000n * MS),
      labels: { 'kubernetes.io/service-name': 'web' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(trigger) },
    },
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
      targetRef: { kind: 'Pod', name: e.pod.name, namespace: NS, uid: e.pod.uid },
      nodeName: 'node-1',
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

function watch(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({ type, object });
}

interface Req {
  requestId: string;
  start: bigint;
  /** attempts in order: address, status, duration */
  attempts: { ip: string; status: number; dur: bigint }[];
}

function ingressSpans(r: Req): ScenarioSpan[] {
  const ids = ingressSpanIds(r.requestId, r.attempts.length)!;
  const out: ScenarioSpan[] = [];
  let t = r.start + 100_000n;
  const spans: ScenarioSpan[] = r.attempts.map((a, i) => {
    const s: ScenarioSpan = {
      traceId: ids.traceId,
      spanId: ids.attemptSpanIds[i],
      parentSpanId: ids.serverSpanId,
      name: 'upstream shop-web-8080',
      kind: 'client',
      layer: 'ingress',
      service: 'ingress-nginx',
      start: String(t),
      end: String(t + a.dur),
      attributes: { 'server.address': a.ip, 'server.port': 8080, 'http.response.status_code': a.status },
      error: a.status >= 500,
    };
    t += a.dur + 50_000n;
    return s;
  });
  const last = r.attempts[r.attempts.length - 1];
  out.push({
    traceId: ids.traceId,
    spanId: ids.serverSpanId,
    name: 'GET shop-web-8080',
    kind: 'server',
    layer: 'ingress',
    service: 'ingress-nginx',
    start: String(r.start),
    end: String(t + 100_000n),
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': last.status,
      'nginx.request_id': r.requestId,
    },
    error: last.status >= 500,
  });
  out.push(...spans);
  return out;
}

type Mode = 'context' | 'request-id' | 'none';

function appSpan(
  r: () => number,
  attempt: ScenarioSpan,
  pod: PodSpec,
  requestId: string,
  mode: Mode,
  delayMaxMs = 2,
): ScenarioSpan {
  const start = BigInt(attempt.start) + BigInt(Math.floor(300_000 + r() * delayMaxMs * 1_000_000));
  const end = BigInt(attempt.end) - BigInt(Math.floor(100_000 + r() * 200_000));
  return {
    traceId: mode === 'context' ? attempt.traceId : hex(r, 32),
    spanId: hex(r, 16),
    parentSpanId: mode === 'context' ? attempt.spanId : '',
    name: 'GET /api/items',
    kind: 'server',
    layer: 'app',
    service: 'web',
    start: String(start),
    end: String(end > start ? end : start + 1000n),
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      ...(mode === 'request-id' ? { 'http.request.header.x-request-id': requestId } : {}),
    },
    resource: { 'k8s.pod.name': pod.name, 'k8s.namespace.name': NS },
  };
}

function steady(
  name: string,
  description: string,
  mode: Mode,
  seed: number,
  count: number,
  gapMs: number,
  delayMaxMs = 2,
): Scenario {
  const r = rng(seed);
  const a: PodSpec = {
    name: 'web-5d567cc74c-ss4lb',
    uid: 'uid-a',
    ip: '10.244.1.7',
    created: T0 - 600_000n * MS,
    ready: T0 - 590_000n * MS,
  };
  const b: PodSpec = {
    name: 'web-5d567cc74c-zq9xw',
    uid: 'uid-b',
    ip: '10.244.1.8',
    created: T0 - 600_000n * MS,
    ready: T0 - 589_000n * MS,
  };
  const k8s = [
    [
      watch('ADDED', pod(a)),
      watch('ADDED', pod(b)),
      watch(
        'ADDED',
        slice(T0 - 589_000n * MS, [
          { ip: a.ip, pod: a },
          { ip: b.ip, pod: b },
        ]),
      ),
    ].join('\n'),
  ];
  const ingress: ScenarioSpan[] = [];
  const app: ScenarioSpan[] = [];
  const links: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const target = r() < 0.5 ? a : b;
    const start = T0 + BigInt(Math.floor(i * gapMs + r() * gapMs)) * MS;
    const req: Req = {
      requestId: hex(r, 32),
      start,
      attempts: [
        { ip: target.ip, status: 200, dur: BigInt(Math.floor(8 + delayMaxMs + r() * 4 * gapMs)) * MS },
      ],
    };
    const spans = ingressSpans(req);
    ingress.push(...spans);
    const attempt = spans[spans.length - 1];
    const s = appSpan(r, attempt, target, req.requestId, mode, delayMaxMs);
    app.push(s);
    links.push([attempt.spanId, s.spanId]);
  }
  return { name, description, k8s, ingress, app, truth: { links, diagnoses: [], exact: mode !== 'none' } };
}

function rollout(): Scenario {
  const r = rng(7);
  const s = (ms: number) => T0 + BigInt(ms) * MS;
  const a: PodSpec = {
    name: 'web-5d567cc74c-ss4lb',
    uid: 'uid-a',
    ip: '10.244.1.7',
    created: s(-600_000),
    ready: s(-590_000),
  };
  const b: PodSpec = {
    name: 'web-7df978b9bf-jm22q',
    uid: 'uid-b',
    ip: '10.244.2.9',
    created: s(-2_000),
    ready: s(1_000),
  };
  const c: PodSpec = {
    name: 'web-7df978b9bf-h8p4t',
    uid: 'uid-c',
    ip: '10.244.1.7',
    created: s(9_500),
    ready: s(10_500),
  };
  const deleting: PodSpec = { ...a, deletionStart: s(5_000), grace: 30 };
  const notReady: PodSpec = { ...deleting, notReady: s(5_000) };
  const gone: PodSpec = { ...notReady, finished: s(8_000) };
  const early = [
    watch('ADDED', pod(a)),
    watch('ADDED', pod({ ...b, ready: undefined })),
    watch('ADDED', slice(s(-590_000), [{ ip: a.ip, pod: a }])),
    watch('MODIFIED', pod(b)),
    watch(
      'MODIFIED',
      slice(s(1_000), [
        { ip: a.ip, pod: a },
        { ip: b.ip, pod: b },
      ]),
    ),
  ].join('\n');
  // the late part: deletion, the EndpointSlice update (the endpoint leaves 100 ms after deletion
  // started, nginx keeps sending for 1.5 s more), the pod gone, its IP reused by a new pod
  const late = [
    watch('MODIFIED', pod(deleting)),
    watch('MODIFIED', pod(notReady)),
    watch('MODIFIED', slice(s(5_100), [{ ip: b.ip, pod: b }])),
    watch('DELETED', pod(gone)),
    watch('ADDED', pod({ ...c, ready: undefined })),
    watch('MODIFIED', pod(c)),
    watch(
      'MODIFIED',
      slice(s(10_500), [
        { ip: b.ip, pod: b },
        { ip: c.ip, pod: c },
      ]),
    ),
  ].join('\n');
  const ingress: ScenarioSpan[] = [];
  const app: ScenarioSpan[] = [];
  const links: [string, string][] = [];
  const diagnoses: [string, string][] = [];
  const add = (ms: number, attempts: Req['attempts'], okPod: PodSpec) => {
    const req: Req = { requestId: hex(r, 32), start: s(ms), attempts };
    const spans = ingressSpans(req);
    ingress.push(...spans);
    const attemptSpans = spans.slice(1);
    const last = attemptSpans[attemptSpans.length - 1];
    if (attempts[attempts.length - 1].status < 500) {
      const sp = appSpan(r, last, okPod, req.requestId, 'request-id');
      app.push(sp);
      links.push([last.spanId, sp.spanId]);
    }
    return attemptSpans;
  };
  for (let ms = 2_000; ms < 12_000; ms += 100) {
    const toA = (ms / 100) % 2 === 0;
    if (ms < 5_000) add(ms, [{ ip: toA ? a.ip : b.ip, status: 200, dur: 20n * MS }], toA ? a : b);
    else if (ms < 6_600 && toA) {
      // stale endpoint: nginx still sends to the terminating pod, gets 502, retries on the new pod
      const [failed] = add(
        ms,
        [
          { ip: a.ip, status: 502, dur: 1n * MS },
          { ip: b.ip, status: 200, dur: 20n * MS },
        ],
        b,
      );
      diagnoses.push([failed.spanId, 'upstream-pod-terminating']);
      if (ms >= 5_100) diagnoses.push([failed.spanId, 'upstream-endpoint-removed']);
    } else if (ms >= 8_400 && ms < 8_600) {
      // a config that still lists the released IP: nobody holds it
      const [failed] = add(
        ms,
        [
          { ip: a.ip, status: 502, dur: 1n * MS },
          { ip: b.ip, status: 200, dur: 20n * MS },
        ],
        b,
      );
      diagnoses.push([failed.spanId, 'upstream-ip-unassigned'], [failed.spanId, 'upstream-endpoint-removed']);
    } else if (ms >= 11_000 && toA) add(ms, [{ ip: c.ip, status: 200, dur: 20n * MS }], c);
    else add(ms, [{ ip: b.ip, status: 200, dur: 20n * MS }], b);
  }
  return {
    name: 'rollout-stale-endpoint',
    description:
      'A rollout: the old pod is deleted at +5 s, its endpoint leaves the EndpointSlice at +5.1 s, nginx keeps sending to it until +6.6 s (502, retried on the new pod); the IP is released at +8 s and reused at +9.5 s.',
    k8s: [early, late],
    ingress,
    app,
    truth: { links, diagnoses, exact: true },
  };
}

const scenarios = [
  steady(
    'exact-header',
    'nginx propagated traceparent: the app span is the attempt’s child already.',
    'context',
    1,
    40,
    250,
  ),
  steady(
    'request-id-only',
    'Only X-Request-ID reaches the app; the app span starts its own trace.',
    'request-id',
    2,
    40,
    250,
  ),
  steady(
    'no-headers-sparse',
    'No header at all; requests rarely overlap on a pod (heuristic).',
    'none',
    3,
    60,
    200,
  ),
  steady(
    'no-headers-busy',
    'No header at all; requests often overlap on a pod (heuristic under load).',
    'none',
    4,
    120,
    40,
  ),
  steady(
    'no-headers-burst',
    'No header at all; a burst: a request every 2 ms, the app picks each up 0.3–8 ms late (queueing), so neighbours interleave.',
    'none',
    5,
    200,
    2,
    8,
  ),
  rollout(),
];
const dir = new URL('./scenarios/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const sc of scenarios)
  writeFileSync(new URL(`${sc.name}.json`, dir), `${JSON.stringify(sc, null, 1)}\n`);
process.stdout.write(`wrote ${scenarios.length} scenarios\n`);
