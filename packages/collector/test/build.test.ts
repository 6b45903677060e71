import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CollectorErrorCode } from '../src/errors.js';
import { build } from '../src/index.js';
import { createGatedStore } from './helpers/gated-store.js';
import { otlpJson } from './helpers/otlp-json.js';

t.test('health, readiness and metrics on both HTTP apps; query token', async (t) => {
  const c = await build({
    storage: 'memory',
    logLevel: 'silent',
    otlpHttpPort: 0,
    otlpGrpcPort: -1,
    queryPort: 0,
    queryToken: 'q',
  });
  t.equal((await c.query.inject('/readyz')).statusCode, 503, 'not ready before listen');
  await c.listen();
  for (const app of [c.otlpHttp, c.query]) {
    t.equal((await app.inject('/healthz')).statusCode, 200);
    t.equal((await app.inject('/readyz')).statusCode, 200);
    const m = await app.inject('/metrics');
    t.equal(m.statusCode, 200);
    t.match(m.body, /crosstrace_queue_spans 0/);
    t.match(m.body, /crosstrace_storage_batch_seconds_bucket/);
  }
  t.equal((await c.query.inject('/api/services')).statusCode, 401, 'query token required');
  const ok = await c.query.inject({ url: '/api/services', headers: { authorization: 'Bearer q' } });
  t.equal(ok.statusCode, 200);
  t.same(ok.json().data, []);
  await c.close();
});

t.test('graceful close: in-flight requests finish with their commit, new ones are refused', async (t) => {
  const store = createGatedStore();
  const c = await build({ store, logLevel: 'silent', otlpHttpPort: 0, otlpGrpcPort: -1, queryPort: 0 });
  const ports = await c.listen();
  const url = `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`;
  const { body, traceId } = otlpJson(5);
  const inflight = fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  while (c.writer.depth().spans < 5) await new Promise((r) => setTimeout(r, 5));
  const closing = c.close();
  t.equal((await c.query.inject('/readyz')).statusCode, 503, 'not ready while draining');
  const refused = await c.pipeline.consume({ spans: [], receiver: 'x' }).then(
    () => 'accepted-empty',
    () => 'refused',
  );
  t.equal(refused, 'accepted-empty');
  store.open();
  t.equal((await inflight).status, 200, 'in-flight request answered after its commit');
  await closing;
  t.equal((await store.getTrace(traceId)).length, 5);
  await t.rejects(c.writer.consume({ spans: [...(await store.getTrace(traceId))], receiver: 'x' }), {
    code: CollectorErrorCode.ShuttingDown,
    statusCode: 503,
  });
});

t.test('SQLite storage from the storage option', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'crosstrace-build-'));
  const c = await build({
    storage: `sqlite:${join(dir, 'db.sqlite')}`,
    logLevel: 'silent',
    otlpGrpcPort: -1,
  });
  const { body, traceId } = otlpJson(3, { service: 'ingress-nginx' });
  const res = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json' },
    payload: body,
  });
  t.equal(res.statusCode, 200);
  const spans = await c.store.getTrace(traceId);
  t.equal(spans.length, 3);
  t.equal(spans[0].layer, 'ingress');
  const m = await c.otlpHttp.inject('/metrics');
  t.match(m.body, /crosstrace_db_size_bytes [1-9]/, 'DB size reported');
  await c.close();
});

t.test('--control-plane-storage overrides where --storage would keep the control-plane state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-cps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const opts = {
    storage: 'memory',
    controlPlaneStorage: `sqlite:${join(dir, 'cp.db')}`,
    logLevel: 'silent' as const,
    otlpGrpcPort: -1,
  };
  const a = await build(opts);
  t.equal(a.controlPlane.backend, 'sqlite');
  const res = await a.otlpHttp.inject({
    method: 'POST',
    url: '/k8s/objects?arrival=none',
    payload: JSON.stringify({
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'shop', uid: 'u-p', creationTimestamp: '2026-01-10T12:00:00Z' },
        status: { podIP: '10.1.2.3', startTime: '2026-01-10T12:00:01Z' },
      },
    }),
  });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['crosstrace-timeline'], undefined, 'a timeline on disk sends no timeline id');
  await a.close();
  const b = await build(opts);
  t.teardown(() => b.close());
  t.equal(b.controlPlane.pod('u-p')?.name, 'p', 'the spans in memory, the timeline read back');
  const inMemory = await build({ storage: 'memory', logLevel: 'silent', otlpGrpcPort: -1 });
  t.equal(inMemory.controlPlane.backend, 'memory');
  await inMemory.close();
});

t.test('a control-plane backend that cannot be opened fails the build with its code', async (t) => {
  await t.rejects(
    build({
      storage: 'memory',
      controlPlaneStorage: 'postgres://nobody@127.0.0.1:1/none',
      logLevel: 'silent',
      otlpGrpcPort: -1,
    }),
    { code: CollectorErrorCode.ControlPlaneOpen },
  );
});
