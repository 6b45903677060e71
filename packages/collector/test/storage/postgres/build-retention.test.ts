// Through the collector on PostgreSQL: after a retention run drops partitions, the control-plane
// state (in memory with this storage), the stitching index and the services list hold nothing older
// than the oldest partition kept.
import t from 'tap';
import { build } from '../../../src/index.js';
import type { PostgresSpanStore } from '../../../src/storage/index.js';
import { startPostgres } from '../../helpers/postgres.js';
import { seedRetention } from '../../helpers/retention-seed.js';

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
  const { recent, observationsBefore: before } = await seedRetention(t, c);
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
