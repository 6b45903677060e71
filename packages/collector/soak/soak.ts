// `pnpm soak`: the collector CLI (dist/, SQLite, short retention) under mixed load — app spans
// (half of them with X-Request-ID), ingress spans with upstream attempts, and control-plane churn
// (a rollout a minute: new pods with new IPs, the old ones deleted, EndpointSlice updates, Events)
// — for CROSSTRACE_SOAK_MINUTES (30). Prints each minute the collector's RSS, the database size
// (file + WAL), spans acknowledged and stored, control-plane rows; kills the collector with
// SIGKILL half-way, restarts it on the same file and checks that no acknowledged span that
// retention has not yet aged out is missing. Not run in CI.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextFromRequestId } from '@crosstrace/contract';
import Database from 'better-sqlite3';
import { encodeRequest } from '../test/helpers/proto.js';

const MINUTES = Number(process.env.CROSSTRACE_SOAK_MINUTES ?? 30);
const RETENTION = process.env.CROSSTRACE_SOAK_RETENTION ?? '2m';
const RETENTION_MS = Number(/^(\d+)m$/.exec(RETENTION)?.[1] ?? 2) * 60_000;
/** Requests per second, each 3 spans (ingress server + attempt, app root) plus 2 app children. */
const RATE = Number(process.env.CROSSTRACE_SOAK_RATE ?? 100);
const PODS = 10;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Running {
  child: ChildProcess;
  http: string;
}

function startCollector(db: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.CROSSTRACE_SOAK_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      'dist/cli.js',
      '--storage',
      `sqlite:${db}`,
      '--retention',
      RETENTION,
      '--otlp-http-port',
      '0',
      '--otlp-grpc-port',
      '-1',
      '--query-port',
      '0',
      '--log-level',
      'warn',
    ],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      if (process.env.CROSSTRACE_SOAK_COLLECTOR_OUT)
        appendFileSync(process.env.CROSSTRACE_SOAK_COLLECTOR_OUT, c);
      out += c;
      const m = /otlp-http listening on (http:\/\/[^\s]+)/.exec(out);
      if (m && /query listening/.test(out)) resolve({ child, http: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`collector exited (${code}) before listening: ${out}`)));
  });
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function sizeMiB(db: string): number {
  let n = 0;
  for (const f of [db, `${db}-wal`]) if (existsSync(f)) n += statSync(f).size;
  return n / 1024 / 1024;
}

function counts(db: string): { spans: number; services: number; cpObservations: number; cpRemaps: number } {
  const d = new Database(db, { readonly: true, timeout: 10_000 });
  try {
    const one = (sql: string) => (d.prepare(sql).get() as { n: number }).n;
    return {
      spans: one('SELECT COUNT(*) AS n FROM spans'),
      services: one('SELECT COUNT(*) AS n FROM services'),
      cpObservations: one('SELECT COUNT(*) AS n FROM ct_cp_observations'),
      cpRemaps: one('SELECT COUNT(*) AS n FROM ct_cp_trace_remap'),
    };
  } finally {
    d.close();
  }
}

const hex = (n: number) => randomBytes(n).toString('hex');
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const long = (n: bigint) => ({
  low: Number(n & 0xffffffffn) | 0,
  high: Number(n >> 32n) | 0,
  unsigned: true,
});

/** Pods of the current generation (a rollout replaces them all). */
let generation = 0;
function podName(g: number, i: number): string {
  return `web-g${g}-${i}`;
}
function podIp(g: number, i: number): string {
  return `10.${(g % 200) + 20}.${Math.floor(i / 200)}.${(i % 200) + 10}`;
}

/** One request: ingress server span + upstream attempt, app root with 2 children. */
function requestBody(): { body: Buffer; traceIds: string[]; spans: number } {
  const pod = Math.floor(Math.random() * PODS);
  const t = nowNs();
  const ingressTrace = hex(16);
  const serverId = hex(8);
  const withHeader = Math.random() < 0.5;
  const requestId = hex(16);
  const appTrace = hex(16);
  const appRoot = hex(8);
  const ingress = {
    resource: { attributes: [str('service.name', 'ingress-nginx'), str('crosstrace.layer', 'ingress')] },
    scopeSpans: [
      {
        spans: [
          {
            traceId: Buffer.from(ingressTrace, 'hex'),
            spanId: Buffer.from(serverId, 'hex'),
            name: 'GET shop-web-8080',
            kind: 2,
            startTimeUnixNano: long(t),
            endTimeUnixNano: long(t + 31_000_000n),
            attributes: withHeader ? [str('http.request.header.x-request-id', requestId)] : [],
          },
          {
            traceId: Buffer.from(ingressTrace, 'hex'),
            spanId: Buffer.from(hex(8), 'hex'),
            parentSpanId: Buffer.from(serverId, 'hex'),
            name: 'upstream',
            kind: 3,
            startTimeUnixNano: long(t + 100_000n),
            endTimeUnixNano: long(t + 30_000_000n),
            attributes: [
              str('server.address', podIp(generation, pod)),
              str('http.response.status_code', '200'),
            ],
          },
        ],
      },
    ],
  };
  const app = {
    resource: {
      attributes: [
        str('service.name', `web-${pod % 3}`),
        str('k8s.pod.name', podName(generation, pod)),
        str('k8s.namespace.name', 'shop'),
      ],
    },
    scopeSpans: [
      {
        spans: [
          {
            traceId: Buffer.from(appTrace, 'hex'),
            spanId: Buffer.from(appRoot, 'hex'),
            name: `GET /api/${pod % 5}`,
            kind: 2,
            startTimeUnixNano: long(t + 600_000n),
            endTimeUnixNano: long(t + 29_000_000n),
            attributes: withHeader ? [str('http.request.header.x-request-id', requestId)] : [],
          },
          ...[0, 1].map((i) => ({
            traceId: Buffer.from(appTrace, 'hex'),
            spanId: Buffer.from(hex(8), 'hex'),
            parentSpanId: Buffer.from(appRoot, 'hex'),
            name: i === 0 ? 'SELECT items' : 'GET cache',
            kind: 3,
            startTimeUnixNano: long(t + 1_000_000n + BigInt(i) * 5_000_000n),
            endTimeUnixNano: long(t + 4_000_000n + BigInt(i) * 5_000_000n),
          })),
        ],
      },
    ],
  };
  // an app trace joined by X-Request-ID is stored under the trace the request id gives it
  const appStored = withHeader ? (contextFromRequestId(requestId)?.traceId ?? appTrace) : appTrace;
  return {
    body: encodeRequest({ resourceSpans: [ingress, app] }),
    traceIds: [ingressTrace, appStored],
    spans: 5,
  };
}

/** A rollout: the pods of the next generation appear, the old ones go, Events for each. */
function rolloutText(g: number): string {
  const t = new Date().toISOString();
  const lines: string[] = [];
  const endpoints = [];
  for (let i = 0; i < PODS; i++) {
    const pod = (gen: number, type: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        type,
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: podName(gen, i),
            namespace: 'shop',
            uid: `uid-${gen}-${i}`,
            creationTimestamp: t,
            ...extra,
          },
          status: {
            podIP: podIp(gen, i),
            startTime: t,
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }],
          },
        },
      });
    lines.push(pod(g, 'ADDED'));
    if (g > 0) lines.push(pod(g - 1, 'DELETED', { deletionTimestamp: t, deletionGracePeriodSeconds: 30 }));
    endpoints.push({
      addresses: [podIp(g, i)],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: podName(g, i), namespace: 'shop', uid: `uid-${g}-${i}` },
    });
    lines.push(
      JSON.stringify({
        type: 'ADDED',
        object: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${podName(g, i)}.pulled`, namespace: 'shop', uid: `ev-${g}-${i}` },
          involvedObject: { kind: 'Pod', name: podName(g, i), namespace: 'shop' },
          reason: 'Pulled',
          message: 'Successfully pulled image',
          firstTimestamp: t,
          lastTimestamp: t,
          source: { component: 'kubelet' },
        },
      }),
    );
  }
  lines.push(
    JSON.stringify({
      type: 'MODIFIED',
      object: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'web-x',
          namespace: 'shop',
          uid: 'slice-web',
          annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': t },
        },
        endpoints,
      },
    }),
  );
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (!existsSync(join(packageDir, 'dist/cli.js'))) throw new Error('build first: pnpm build');
  const dir = mkdtempSync(join(tmpdir(), 'ct-soak-'));
  const db = join(dir, 'soak.db');
  let running = await startCollector(db);
  process.stdout.write(
    `soak: ${MINUTES} min, retention ${RETENTION}, ~${RATE} requests/s (${RATE * 5} spans/s), ${PODS} pods, a rollout a minute, kill -9 at ${Math.round(MINUTES / 2)} min\n`,
  );
  process.stdout.write(
    'min   rss MiB   db MiB   acked spans   stored spans   services   cp rows   remaps   refused\n',
  );
  const started = Date.now();
  let acked = 0;
  let refused = 0;
  /** acknowledged traces with their time, for the kill check */
  const recent: { at: number; traceIds: string[] }[] = [];
  let stopping = false;
  let paused = false;
  const sender = async () => {
    while (!stopping) {
      if (paused) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const started = Date.now();
      const batch = Array.from({ length: 10 }, requestBody);
      try {
        const res = await fetch(`${running.http}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: Buffer.concat(batch.map((b) => b.body)),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          acked += batch.reduce((n, b) => n + b.spans, 0);
          recent.push({ at: Date.now(), traceIds: batch.flatMap((b) => b.traceIds) });
          while (recent.length > 0 && recent[0].at < Date.now() - 120_000) recent.shift();
        } else refused += 50;
      } catch {
        refused += 50;
      }
      // ten requests per call; four senders share the rate
      const wait = (4 * 10 * 1000) / RATE - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const k8s = async () => {
    while (!stopping) {
      if (!paused) {
        try {
          const res = await fetch(`${running.http}/k8s/objects`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: rolloutText(generation + 1),
          });
          if (res.status === 200) generation++;
          await res.arrayBuffer();
        } catch {
          // the collector is being restarted
        }
      }
      await new Promise((r) => setTimeout(r, 60_000));
    }
  };
  const load = [sender(), sender(), sender(), sender(), k8s()];
  let lost: string | undefined;
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((r) => setTimeout(r, started + minute * 60_000 - Date.now()));
    if (minute === Math.round(MINUTES / 2)) {
      // kill -9 mid-run: what was acknowledged in the last minute (younger than retention) must be there
      paused = true;
      await new Promise((r) => setTimeout(r, 500));
      const check = recent.filter((r) => r.at > Date.now() - Math.min(60_000, RETENTION_MS / 2));
      running.child.kill('SIGKILL');
      await new Promise((r) => running.child.once('exit', r));
      running = await startCollector(db);
      const d = new Database(db, { readonly: true });
      const has = d.prepare('SELECT COUNT(*) AS n FROM spans WHERE trace_id = ?');
      let traces = 0;
      let missing = 0;
      for (const r of check)
        for (const id of r.traceIds) {
          traces++;
          if ((has.get(Buffer.from(id, 'hex')) as { n: number }).n === 0) missing++;
        }
      d.close();
      lost = `${missing} of ${traces} traces acknowledged in the last minute before kill -9 missing after restart`;
      process.stdout.write(`      kill -9 and restart: ${lost}\n`);
      paused = false;
    }
    const c = counts(db);
    process.stdout.write(
      `${String(minute).padStart(3)}   ${rssMiB(running.child.pid).toFixed(0).padStart(7)}   ${sizeMiB(db).toFixed(1).padStart(6)}   ${String(acked).padStart(11)}   ${String(c.spans).padStart(12)}   ${String(c.services).padStart(8)}   ${String(c.cpObservations).padStart(7)}   ${String(c.cpRemaps).padStart(6)}   ${String(refused).padStart(7)}\n`,
    );
  }
  stopping = true;
  await Promise.race([Promise.all(load), new Promise((r) => setTimeout(r, 61_000))]);
  running.child.kill('SIGTERM');
  await new Promise((r) => running.child.once('exit', r));
  process.stdout.write(`done: ${acked} spans acknowledged, ${refused} refused; ${lost ?? 'no kill'}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

await main();
