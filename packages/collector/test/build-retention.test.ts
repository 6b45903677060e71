// Through the collector: after a span retention run, the control-plane state, the stitching index
// and the services list hold nothing older than the oldest span left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatNanos } from '../src/controlplane/index.js';
import { build } from '../src/index.js';
import type { SqliteSpanStore } from '../src/storage/sqlite/sqlite-store.js';
import { otlpJson } from './helpers/otlp-json.js';

t.test('span retention drives the control-plane state and the lists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-build-ret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = await build({
    storage: `sqlite:${join(dir, 'c.db')}`,
    retention: '1h',
    logLevel: 'silent',
    otlpGrpcPort: -1,
  });
  t.teardown(() => c.close());
  const old = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
  const recent = BigInt(Date.now() - 60_000) * 1_000_000n;
  const watch = (name: string, at: bigint, type: string) =>
    JSON.stringify({
      type,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'shop', uid: `u-${name}`, creationTimestamp: formatNanos(at) },
        status: { podIP: '10.1.0.1', startTime: formatNanos(at) },
      },
    });
  const objects = await c.otlpHttp.inject({
    method: 'POST',
    url: '/k8s/objects?arrival=none',
    headers: { 'content-type': 'application/json' },
    payload: `${watch('old', old, 'ADDED')}\n${watch('old', old + 1_000_000_000n, 'DELETED')}\n${watch('new', recent, 'ADDED')}\n`,
  });
  t.equal(objects.statusCode, 200);
  const before = c.controlPlane.size().observations;
  t.equal(before, 3);
  const span = (service: string, start: bigint) => {
    const { body } = otlpJson(1, { service });
    const s = (body.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]
      .scopeSpans[0].spans[0];
    s.startTimeUnixNano = String(start);
    s.endTimeUnixNano = String(start + 1000n);
    return body;
  };
  for (const [svc, at] of [
    ['old-svc', old],
    ['new-svc', recent],
  ] as const) {
    const res = await c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/json' },
      payload: span(svc, at),
    });
    t.equal(res.statusCode, 200);
  }
  t.ok((await c.store.getServices()).includes('old-svc'));
  const r = await (c.store as SqliteSpanStore).runRetention();
  t.ok(r.deletedSpans >= 1);
  t.notOk((await c.store.getServices()).includes('old-svc'), 'the service went with its spans');
  t.ok((await c.store.getServices()).includes('new-svc'));
  t.equal(c.controlPlane.pod('u-old'), undefined, 'the pod deleted before the oldest span left is forgotten');
  t.equal(c.controlPlane.pod('u-new')?.name, 'new');
  t.ok(c.controlPlane.size().observations < before);
});
