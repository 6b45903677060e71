// End to end on loopback: a real nginx with two upstream "pods" (127.0.0.2 and 127.0.0.3); the old
// one is terminated (a Pod deletion fed to /k8s/objects, its server closed) while requests flow,
// and the EndpointSlice update that removes it arrives late, after the ingress spans. The 502
// attempts must carry upstream-pod-terminating and upstream-endpoint-removed for the old pod, the
// retries must link to the new pod's lifecycle span.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLine, toSpans } from '@crosstrace/nginx-log-bridge';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { build } from '../../src/index.js';
import { getStringAttribute } from '../../src/model/attributes.js';
import { LINK_TYPE } from '../../src/processors/stitching/index.js';

const NGINX = '/usr/sbin/nginx';
const LOG_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $request_id $msec';
const OLD = { name: 'web-5d567cc74c-ss4lb', uid: 'uid-old', ip: '127.0.0.2' };
const NEW = { name: 'web-7df978b9bf-jm22q', uid: 'uid-new', ip: '127.0.0.3' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function upstream(host: string, label: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${label} ${req.headers['x-request-id'] ?? ''}`);
    });
    s.listen(0, host, () => resolve(s));
  });
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/items', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function pod(p: typeof OLD, extra: { deletionMs?: number; notReadyMs?: number } = {}, rv = 1) {
  const now = Date.now();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: 'shop',
      uid: p.uid,
      resourceVersion: String(rv),
      creationTimestamp: isoSeconds(now - 60_000),
      ...(extra.deletionMs !== undefined
        ? { deletionTimestamp: isoSeconds(extra.deletionMs + 30_000), deletionGracePeriodSeconds: 30 }
        : {}),
    },
    status: {
      phase: 'Running',
      podIP: p.ip,
      startTime: isoSeconds(now - 60_000),
      conditions: [
        {
          type: 'Ready',
          status: extra.notReadyMs === undefined ? 'True' : 'False',
          lastTransitionTime: isoSeconds(extra.notReadyMs ?? now - 50_000),
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
      name: 'web-x7k2p',
      namespace: 'shop',
      uid: 'slice-1',
      resourceVersion: String(rv),
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(triggerMs) },
    },
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'shop', name: p.name, uid: p.uid },
    })),
  };
}

const watchLine = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

t.test(
  'a rollout behind a real nginx: 502s explained, retries linked to the new pod',
  { skip: !existsSync(NGINX) && 'nginx not installed' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-e2e-'));
    const oldServer = await upstream(OLD.ip, 'old');
    const newServer = await upstream(NEW.ip, 'new');
    const portOf = (s: Server) => {
      const a = s.address();
      return typeof a === 'object' && a ? a.port : 0;
    };
    // both upstreams listen on one port number, as pods of one Deployment do
    const newPort = portOf(newServer);
    oldServer.close();
    await new Promise<void>((r) => oldServer.listen(newPort, OLD.ip, () => r()));
    const nginxPort = await freePort();
    const accessLog = join(dir, 'access.log');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  log_format upstreaminfo '${LOG_FORMAT}';
  upstream shop_web {
    server ${OLD.ip}:${newPort} max_fails=0;
    server ${NEW.ip}:${newPort} max_fails=0;
  }
  server {
    listen 127.0.0.1:${nginxPort};
    access_log ${accessLog} upstreaminfo;
    set $proxy_upstream_name "shop-web-8080";
    set $proxy_alternative_upstream_name "";
    location / {
      proxy_pass http://shop_web;
      proxy_set_header X-Request-ID $request_id;
      proxy_next_upstream error timeout http_502;
    }
  }
}
`,
    );
    const nginx: ChildProcess = spawn(
      NGINX,
      [
        '-p',
        dir,
        '-c',
        join(dir, 'nginx.conf'),
        '-g',
        `daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')};`,
      ],
      { stdio: 'ignore' },
    );
    const collector = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: -1, queryPort: 0 });
    t.teardown(async () => {
      nginx.kill('SIGTERM');
      oldServer.close();
      newServer.close();
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const k8s = async (body: string) => {
      const res = await collector.otlpHttp.inject({
        method: 'POST',
        url: '/k8s/objects',
        payload: body,
        headers: { 'content-type': 'application/json' },
      });
      t.equal(res.statusCode, 200, 'k8s objects accepted');
    };
    // wait for nginx to accept
    for (let i = 0; i < 100; i++) {
      try {
        await get(nginxPort);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    writeFileSync(accessLog, ''); // drop the readiness probes
    const startMs = Date.now();
    await k8s(
      watchLine('ADDED', pod(OLD)) +
        watchLine('ADDED', pod(NEW)) +
        watchLine('ADDED', slice(startMs - 50_000, [OLD, NEW], 1)),
    );
    for (let i = 0; i < 6; i++) t.equal(await get(nginxPort), 200);

    // the old pod is deleted: kubelet stops it, the endpoint controller is late
    const deletionMs = Date.now();
    await k8s(watchLine('MODIFIED', pod(OLD, { deletionMs, notReadyMs: deletionMs }, 2)));
    await new Promise<void>((r) => {
      oldServer.close(() => r());
      oldServer.closeAllConnections();
    });
    await new Promise((r) => setTimeout(r, 120));
    for (let i = 0; i < 8; i++) t.equal(await get(nginxPort), 200, 'the client still gets 200 (retried)');

    // the access log becomes ingress spans (the bridge's parser and span builder) before the late slice
    const lines = readFileSync(accessLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    t.equal(lines.length, 14);
    const spans: ReadableSpan[] = [];
    let failedAttempts = 0;
    for (const line of lines) {
      const r = parseLine(line, { logFormat: LOG_FORMAT });
      t.ok(r.ok, 'line parsed');
      if (!r.ok) continue;
      failedAttempts += String(r.record.upstream_status ?? '')
        .split(', ')
        .filter((s) => s === '502').length;
      spans.push(...toSpans(r.record));
    }
    t.ok(failedAttempts >= 3, `${failedAttempts} attempts hit the terminated pod`);
    const body = Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
    const res = await collector.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      payload: body,
      headers: { 'content-type': 'application/json' },
    });
    t.equal(res.statusCode, 200, 'ingress spans accepted');
    // the EndpointSlice update arrives last; its trigger time says the endpoint left 50 ms after deletion started
    await k8s(watchLine('MODIFIED', slice(deletionMs + 50, [NEW], 2)));

    const diag = await collector.query.inject(`/api/crosstrace/diagnoses?since=${(startMs - 1000) * 1000}`);
    const data = diag.json().data as {
      traceID: string;
      spanID: string;
      code: string;
      evidence: Record<string, unknown>;
    }[];
    const bySpan = new Map<string, Set<string>>();
    for (const d of data) {
      const s = bySpan.get(d.spanID) ?? new Set();
      s.add(d.code);
      bySpan.set(d.spanID, s);
      t.equal(d.evidence.pod, `shop/${OLD.name}`, `${d.code} names the old pod`);
    }
    t.equal(bySpan.size, failedAttempts, 'every 502 attempt is diagnosed, nothing else');
    for (const codes of bySpan.values()) {
      t.ok(codes.has('upstream-pod-terminating'), 'terminating');
      t.ok(codes.has('upstream-endpoint-removed'), 'stale endpoint');
    }
    const removed = data.find((d) => d.code === 'upstream-endpoint-removed');
    t.ok(Number(removed?.evidence.lagMs) >= 50, 'with the lag since the endpoint left the slice');
    // retries link to the new pod's lifecycle span
    const traceIds = new Set(data.map((d) => d.traceID));
    let retries = 0;
    for (const traceId of traceIds) {
      const trace = await collector.store.getTrace(traceId);
      for (const s of trace) {
        if (s.kind !== 3 || bySpan.has(s.spanId)) continue;
        retries++;
        const l = s.links.find((x) => getStringAttribute(x.attributes, LINK_TYPE) === 'pod-lifecycle');
        t.equal(
          l && getStringAttribute(l.attributes, 'k8s.pod.name'),
          NEW.name,
          'retry linked to the new pod',
        );
        const lifecycle = l ? await collector.store.getSpansByIds(l.traceId, [l.spanId]) : [];
        t.equal(lifecycle.length, 1, 'the lifecycle span exists');
      }
    }
    t.equal(retries, traceIds.size, 'one successful retry per failed request');
  },
);
