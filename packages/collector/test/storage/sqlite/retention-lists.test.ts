// The services and operations lists follow retention: a service whose spans are all gone
// disappears (and comes back with new spans); files made before operations carried their last
// span's time get it on open.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import type { Span } from '../../../src/model/span.js';
import { openSqliteStore, type RetentionResult } from '../../../src/storage/index.js';
import { makeSpan, resourceOf } from '../../helpers/store-spans.js';

function tempPath(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-lists-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'spans.db');
}

function at(service: string, name: string, agoMs: number, kind = 2): Span {
  const start = BigInt(Date.now() - agoMs) * 1_000_000n;
  return makeSpan({
    service,
    resource: resourceOf(service),
    name,
    kind: kind as Span['kind'],
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1000n,
  });
}

for (const writer of ['worker', 'inline'] as const) {
  t.test(`${writer} writer: services and operations without spans leave the lists`, async (t) => {
    const seen: RetentionResult[] = [];
    const store = await openSqliteStore({
      path: tempPath(t),
      writer,
      retentionIntervalMs: 0,
      onRetention: (r) => seen.push(r),
    });
    t.teardown(() => store.close());
    await store.writeSpans([
      at('old-svc', 'GET /old', 3 * 3_600_000),
      at('mixed', 'GET /gone', 3 * 3_600_000),
    ]);
    await store.writeSpans([at('mixed', 'GET /kept', 60_000), at('mixed', 'GET /kept', 60_000, 3)]);
    await store.writeSpans([at('new-svc', 'GET /new', 1000)]);
    t.same(await store.getServices(), ['mixed', 'new-svc', 'old-svc']);
    const r = await store.runRetention({ retention: 3_600_000 });
    t.equal(r.deletedSpans, 2);
    t.equal(r.deletedServices, 1);
    t.equal(r.deletedOperations, 2);
    t.ok(
      r.oldestStartNanos !== undefined && r.oldestStartNanos > BigInt(Date.now() - 3_600_000) * 1_000_000n,
    );
    t.same(await store.getServices(), ['mixed', 'new-svc'], 'a service whose spans are all gone disappears');
    t.same(
      (await store.getOperations('mixed')).map((o) => `${o.name}/${o.spanKind}`),
      ['GET /kept/client', 'GET /kept/server'],
    );
    t.same(await store.getOperations('old-svc'), []);
    t.equal(seen.length, 1, 'onRetention told');
    await store.writeSpans([at('old-svc', 'GET /again', 10)]);
    t.same(await store.getServices(), ['mixed', 'new-svc', 'old-svc'], 'back with a new span');
    t.same(
      (await store.getOperations('old-svc')).map((o) => o.name),
      ['GET /again'],
    );
    t.equal((await store.findTraceIds({ service: 'old-svc', limit: 10 })).length, 1);
    const all = await store.runRetention({ retention: 1 });
    t.equal(all.oldestStartNanos, undefined, 'everything gone');
    t.same(await store.getServices(), []);
  });
}

t.test('a file from before last_ns gets it on open, from its spans', async (t) => {
  const path = tempPath(t);
  const store = await openSqliteStore({ path, retentionIntervalMs: 0 });
  await store.writeSpans([at('a', 'old-op', 3 * 3_600_000), at('b', 'new-op', 1000)]);
  await store.close();
  const db = new Database(path);
  db.exec('ALTER TABLE operations DROP COLUMN last_ns');
  db.close();
  const again = await openSqliteStore({ path, retentionIntervalMs: 0 });
  t.teardown(() => again.close());
  await again.runRetention({ retention: 3_600_000 });
  t.same(await again.getServices(), ['b']);
});
