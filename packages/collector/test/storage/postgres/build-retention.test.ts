// Through the collector on PostgreSQL: after a retention run drops partitions, the control-plane
// state (in memory with this storage), the stitching index and the services list hold nothing older
// than the oldest partition kept.
import t from 'tap';
import { formatNanos } from '../../../src/controlplane/index.js';
import { build } from '../../../src/index.js';
import type { PostgresSpanStore } from '../../../src/storage/index.js';
import { otlpJson } from '../../helpers/otlp-json.js';
import { startPostgres } from '../../helpers/postgres.js';

const cluster = await startPostgres();
t.teardown(() => cluster.stop());

t.test('partition retention drives the control-plane state and the lists', async (t) => {
  const c = await build({
    storage: await cluster.createDatabase(),
    retention: '1h',
    postgresPartitionInterval: '1h',
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
  const r = await (c.store as PostgresSpanStore).runRetention();
  t.ok(r.droppedPartitions.length >= 1);
  const hour = 3_600_000_000_000n;
  t.equal(r.oldestStartNanos, (recent / hour) * hour, 'the kept partition of the recent span');
  t.notOk((await c.store.getServices()).includes('old-svc'), 'the service went with its partition');
  t.ok((await c.store.getServices()).includes('new-svc'));
  t.equal(c.controlPlane.pod('u-old'), undefined, 'the pod deleted before the oldest partition is forgotten');
  t.equal(c.controlPlane.pod('u-new')?.name, 'new');
  t.ok(c.controlPlane.size().observations < before);
});
