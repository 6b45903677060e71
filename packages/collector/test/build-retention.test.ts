// Through the collector: after a span retention run, the control-plane state, the stitching index
// and the services list hold nothing older than the oldest span left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { build } from '../src/index.js';
import type { SqliteSpanStore } from '../src/storage/sqlite/sqlite-store.js';
import { seedRetention } from './helpers/retention-seed.js';

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
  const { observationsBefore: before } = await seedRetention(t, c);
  t.ok((await c.store.getServices()).includes('old-svc'));
  const r = await (c.store as SqliteSpanStore).runRetention();
  t.ok(r.deletedSpans >= 1);
  t.notOk((await c.store.getServices()).includes('old-svc'), 'the service went with its spans');
  t.ok((await c.store.getServices()).includes('new-svc'));
  t.equal(c.controlPlane.pod('u-old'), undefined, 'the pod deleted before the oldest span left is forgotten');
  t.equal(c.controlPlane.pod('u-new')?.name, 'new');
  t.ok(c.controlPlane.size().observations < before);
});
