// Seeds a collector through its real receivers with a rollout that a user would debug: Kubernetes
// watch events and Events (control plane) on /k8s/objects, ingress-nginx access log lines turned
// into spans by @crosstrace/nginx-log-bridge (ingress) on /v1/traces, and app spans sent by the
// OpenTelemetry SDK's OTLP/HTTP exporter (app). One request hits the terminating pod: nginx gets a
// 502 from it, retries on the new pod, and the collector diagnoses the failed attempt.
import { randomBytes } from 'node:crypto';
import { parseLine, toSpans } from '@crosstrace/nginx-log-bridge';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';

export const LOG_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $request_id $msec';

export const NAMESPACE = 'hotrod';
export const OLD = {
  name: 'frontend-5d567cc74c-ss4lb',
  uid: 'uid-old-pod',
  ip: '10.244.1.7',
  rs: 'frontend-5d567cc74c',
};
export const NEW = {
  name: 'frontend-7df978b9bf-jm22q',
  uid: 'uid-new-pod',
  ip: '10.244.2.9',
  rs: 'frontend-7df978b9bf',
};

export interface SeedTarget {
  /** base URL of the OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 */
  otlpUrl: string;
  headers?: Record<string, string>;
}

export interface Seeded {
  /** the request id of the request whose first attempt failed */
  failedRequestId: string;
  requestIds: string[];
  /** ms since the epoch: the deletion of the old pod */
  deletionMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function timeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function pod(p: typeof OLD, t0: number, extra: { deletionMs?: number; rv: number }) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: NAMESPACE,
      uid: p.uid,
      resourceVersion: String(extra.rv),
      creationTimestamp: isoSeconds(t0 - 60_000),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: p.rs, uid: `rs-${p.rs}`, controller: true },
      ],
      ...(extra.deletionMs !== undefined
        ? { deletionTimestamp: isoSeconds(extra.deletionMs + 30_000), deletionGracePeriodSeconds: 30 }
        : {}),
    },
    spec: { nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      startTime: isoSeconds(t0 - 60_000),
      conditions: [
        {
          type: 'Ready',
          status: extra.deletionMs === undefined ? 'True' : 'False',
          lastTransitionTime: isoSeconds(extra.deletionMs ?? t0 - 50_000),
        },
      ],
    },
  };
}

function slice(triggerMs: number, pods: (typeof OLD)[], rv: number) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    metadata: {
      name: 'frontend-x7k2p',
      namespace: NAMESPACE,
      uid: 'slice-frontend',
      resourceVersion: String(rv),
      labels: { 'kubernetes.io/service-name': 'frontend' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(triggerMs) },
    },
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NAMESPACE, name: p.name, uid: p.uid },
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

function event(
  name: string,
  kind: string,
  obj: string,
  reason: string,
  message: string,
  atMs: number,
  component: string,
  rv: number,
) {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: NAMESPACE, uid: `ev-${name}`, resourceVersion: String(rv) },
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, name: obj, namespace: NAMESPACE },
    reason,
    message,
    type: 'Normal',
    source: { component },
    firstTimestamp: isoSeconds(atMs),
    lastTimestamp: isoSeconds(atMs),
    count: 1,
  };
}

const watch = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

async function post(t: SeedTarget, path: string, body: string | Uint8Array): Promise<void> {
  const res = await fetch(`${t.otlpUrl}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/json', ...t.headers },
  });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
}

function accessLine(opts: {
  endMs: number;
  requestTimeS: number;
  path: string;
  status: number;
  upstreams: { addr: string; status: number; timeS: number; bytes: number }[];
  requestId: string;
}): string {
  const u = opts.upstreams;
  return [
    `10.0.0.17 - - [${timeLocal(opts.endMs)}] "GET ${opts.path} HTTP/1.1" ${opts.status} 612 "-" "Mozilla/5.0" 412 ${opts.requestTimeS.toFixed(3)}`,
    `[${NAMESPACE}-frontend-8080] []`,
    u.map((x) => x.addr).join(', '),
    u.map((x) => x.bytes).join(', '),
    u.map((x) => x.timeS.toFixed(3)).join(', '),
    u.map((x) => x.status).join(', '),
    opts.requestId,
    (opts.endMs / 1000).toFixed(3),
  ].join(' ');
}

/** App spans of one HotROD-like /dispatch request, sent by the OTel SDK. */
function appTrace(
  providers: Record<string, TracerProvider>,
  requestId: string,
  startMs: number,
  podName: string,
  opts: { driverId: string },
): void {
  const ms = (x: number): [number, number] => {
    const t = startMs + x;
    return [Math.floor(t / 1000), Math.round((t % 1000) * 1e6)];
  };
  const frontend = providers.frontend.getTracer('hotrod');
  const root = frontend.startSpan('GET /dispatch', {
    kind: SpanKind.SERVER,
    startTime: ms(0),
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/dispatch',
      'http.route': '/dispatch',
      'http.response.status_code': 200,
      'http.request.header.x-request-id': requestId,
      'k8s.pod.name': podName,
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const customer = providers.customer.getTracer('hotrod').startSpan(
    'GET /customer',
    {
      kind: SpanKind.SERVER,
      startTime: ms(2),
      attributes: { 'http.route': '/customer', 'customer.id': '123' },
    },
    rootCtx,
  );
  const sql = providers.mysql.getTracer('hotrod').startSpan(
    'SQL SELECT',
    {
      kind: SpanKind.CLIENT,
      startTime: ms(3),
      attributes: { 'db.system': 'mysql', 'db.statement': 'SELECT * FROM customer WHERE customer_id=?' },
    },
    trace.setSpan(rootCtx, customer),
  );
  sql.addEvent('Waiting for lock behind 2 transactions', { blockers: 2 }, ms(4));
  sql.addEvent('Acquired lock with 0 transactions waiting behind', {}, ms(40));
  sql.end(ms(70));
  customer.end(ms(72));
  const driver = providers.driver
    .getTracer('hotrod')
    .startSpan(
      'FindNearest',
      { kind: SpanKind.SERVER, startTime: ms(74), attributes: { location: '728,326' } },
      rootCtx,
    );
  const redis = providers.redis.getTracer('hotrod');
  for (let i = 0; i < 4; i++) {
    const r = redis.startSpan(
      i === 0 ? 'FindDriverIDs' : 'GetDriver',
      { kind: SpanKind.CLIENT, startTime: ms(75 + i * 8), attributes: { 'db.system': 'redis' } },
      trace.setSpan(rootCtx, driver),
    );
    if (i === 2) {
      r.setStatus({ code: SpanStatusCode.ERROR, message: 'redis timeout' });
      r.addEvent('exception', { 'exception.message': 'redis timeout' }, ms(81 + i * 8));
    }
    r.end(ms(82 + i * 8));
  }
  driver.addEvent('Search successful', { 'num drivers': 4 }, ms(110));
  driver.end(ms(112));
  const route = providers.route.getTracer('hotrod');
  for (let i = 0; i < 10; i++) {
    const s = route.startSpan(
      'GET /route',
      { kind: SpanKind.SERVER, startTime: ms(114 + (i % 3) * 20), attributes: { 'http.route': '/route' } },
      rootCtx,
    );
    s.end(ms(150 + (i % 3) * 20 + i));
  }
  root.addEvent('Dispatch successful', { driver: opts.driverId, eta: '2min' }, ms(200));
  root.end(ms(205));
}

/**
 * Sends the rollout's control-plane data, the ingress log lines and the app spans to the
 * collector at `target`; `t0` is the time of the first request (ms).
 */
export async function seedRollout(target: SeedTarget, t0 = Date.now() - 60_000): Promise<Seeded> {
  const deletionMs = t0 + 5_000;
  // the rollout as the API server tells it: ReplicaSet scaled up, pods created and scheduled
  let rv = 100;
  const events = [
    event(
      'frontend.1',
      'Deployment',
      'frontend',
      'ScalingReplicaSet',
      `Scaled up replica set ${NEW.rs} to 1`,
      t0 - 60_000,
      'deployment-controller',
      rv++,
    ),
    event(
      'frontend-new.1',
      'ReplicaSet',
      NEW.rs,
      'SuccessfulCreate',
      `Created pod: ${NEW.name}`,
      t0 - 60_000,
      'replicaset-controller',
      rv++,
    ),
    event(
      'pod-new.1',
      'Pod',
      NEW.name,
      'Scheduled',
      `Successfully assigned ${NAMESPACE}/${NEW.name} to node-1`,
      t0 - 59_000,
      'default-scheduler',
      rv++,
    ),
    event(
      'pod-new.2',
      'Pod',
      NEW.name,
      'Pulled',
      'Container image "hotrod:1.1" already present on machine',
      t0 - 58_000,
      'kubelet',
      rv++,
    ),
    event(
      'pod-new.3',
      'Pod',
      NEW.name,
      'Started',
      'Started container frontend',
      t0 - 57_000,
      'kubelet',
      rv++,
    ),
    event(
      'frontend.2',
      'Deployment',
      'frontend',
      'ScalingReplicaSet',
      `Scaled down replica set ${OLD.rs} to 0 from 1`,
      deletionMs,
      'deployment-controller',
      rv++,
    ),
    event(
      'frontend-old.1',
      'ReplicaSet',
      OLD.rs,
      'SuccessfulDelete',
      `Deleted pod: ${OLD.name}`,
      deletionMs,
      'replicaset-controller',
      rv++,
    ),
    event(
      'pod-old.1',
      'Pod',
      OLD.name,
      'Killing',
      'Stopping container frontend',
      deletionMs,
      'kubelet',
      rv++,
    ),
  ];
  await post(
    target,
    '/k8s/objects',
    watch('ADDED', pod(OLD, t0, { rv: rv++ })) +
      watch('ADDED', pod(NEW, t0, { rv: rv++ })) +
      watch('ADDED', slice(t0 - 50_000, [OLD, NEW], rv++)) +
      watch('MODIFIED', pod(OLD, t0, { deletionMs, rv: rv++ })) +
      events.map((e) => watch('ADDED', e)).join(''),
  );

  // ingress: six requests; the fourth, after the deletion, hits the old pod first (502, retried)
  const requestIds: string[] = [];
  const lines: string[] = [];
  const starts: { id: string; startMs: number; pod: string; attemptMs: number }[] = [];
  for (let i = 0; i < 6; i++) {
    const id = randomBytes(16).toString('hex');
    requestIds.push(id);
    const startMs = i < 3 ? t0 + i * 1500 : deletionMs + 1200 + (i - 3) * 1500;
    const failed = i === 3;
    const upstreams = failed
      ? [
          { addr: `${OLD.ip}:8080`, status: 502, timeS: 0.004, bytes: 0 },
          { addr: `${NEW.ip}:8080`, status: 200, timeS: 0.209, bytes: 612 },
        ]
      : [{ addr: `${i % 2 === 0 || i > 3 ? NEW.ip : OLD.ip}:8080`, status: 200, timeS: 0.209, bytes: 612 }];
    const total = upstreams.reduce((s, u) => s + u.timeS, 0) + 0.002;
    lines.push(
      accessLine({
        endMs: startMs + total * 1000,
        requestTimeS: total,
        path: `/dispatch?customer=123&nonse=${i}`,
        status: 200,
        upstreams,
        requestId: id,
      }),
    );
    const lastPod = upstreams.at(-1)!.addr.startsWith(NEW.ip) ? NEW.name : OLD.name;
    starts.push({
      id,
      startMs: startMs + (total - 0.209 - 0.002 + 0.001) * 1000,
      pod: lastPod,
      attemptMs: 0,
    });
  }
  const ingress: ReadableSpan[] = [];
  for (const line of lines) {
    const r = parseLine(line, { logFormat: LOG_FORMAT });
    if (!r.ok) throw new Error(`bad seed line (${r.reason}): ${line}`);
    ingress.push(...toSpans(r.record));
  }
  await post(target, '/v1/traces', JsonTraceSerializer.serializeRequest(ingress) ?? new Uint8Array());

  // app: the OpenTelemetry SDK, one provider per service as separate processes would have
  const providers: Record<string, TracerProvider> = {};
  for (const service of ['frontend', 'customer', 'mysql', 'driver', 'redis', 'route']) {
    providers[service] = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'k8s.namespace.name': NAMESPACE,
        ...(service === 'frontend' ? {} : { 'k8s.pod.name': `${service}-6b7f9c4d8f-x2k9p` }),
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${target.otlpUrl}/v1/traces`, headers: target.headers }),
          maxExportBatchSize: 512,
          scheduledDelayMillis: 50,
        }),
      ],
    });
  }
  for (const [i, s] of starts.entries()) {
    appTrace(providers, s.id, s.startMs, s.pod, {
      driverId: i === 3 ? 'T712345C' : `T7${String(i).padStart(5, '0')}C`,
    });
  }
  for (const p of Object.values(providers)) {
    await p.forceFlush();
    await p.shutdown();
  }
  // the EndpointSlice controller is late: the old address leaves 50 ms after the deletion began
  await post(target, '/k8s/objects', watch('MODIFIED', slice(deletionMs + 50, [NEW], rv++)));
  return { failedRequestId: requestIds[3], requestIds, deletionMs };
}
