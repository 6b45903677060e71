import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { CollectorErrorCode, isCollectorError } from '../../../src/errors.js';
import type { Span } from '../../../src/model/span.js';
import {
  createMemoryStore,
  openSqliteStore,
  type SpanQuery,
  type SqliteStoreOptions,
  type TraceQuery,
} from '../../../src/storage/index.js';
import { makeSpan, resourceOf } from '../../helpers/store-spans.js';

function tempPath(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-sqlite-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'spans.db');
}

async function open(t: Test, path: string, opts: Omit<SqliteStoreOptions, 'path'> = {}) {
  const store = await openSqliteStore({ path, ...opts });
  t.teardown(() => store.close());
  return store;
}

function nowNs(offsetMs: number): bigint {
  return BigInt(Date.now() + offsetMs) * 1_000_000n;
}

function spansAt(n: number, offsetMs: number, payload = 0): Span[] {
  const out: Span[] = [];
  const res = resourceOf('svc', { 'k8s.pod.name': 'pod-a' });
  for (let i = 0; i < n; i++) {
    out.push(
      makeSpan({
        service: 'svc',
        resource: res,
        startTimeUnixNano: nowNs(offsetMs) + BigInt(i),
        endTimeUnixNano: nowNs(offsetMs) + BigInt(i) + 1000n,
        attributes: [
          { key: 'i', value: { intValue: String(i) } },
          { key: 'age', value: { stringValue: offsetMs < -3_600_000 ? 'old' : 'new' } },
          { key: 'payload', value: { stringValue: 'x'.repeat(payload) + i } },
        ],
      }),
    );
  }
  return out;
}

t.test('creates a WAL database with incremental auto-vacuum and reopens it', async (t) => {
  const path = tempPath(t);
  const store = await openSqliteStore({ path });
  const spans = spansAt(10, 0);
  await store.writeSpans(spans);
  await store.close();
  await t.rejects(
    store.writeSpans(spans),
    { code: CollectorErrorCode.StoreClosed },
    'a closed store refuses writes',
  );
  const db = new Database(path, { readonly: true });
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('auto_vacuum', { simple: true }), 2, 'INCREMENTAL');
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM spans').get() as { n: number }).n, 10);
  db.close();
  const again = await open(t, path);
  t.equal((await again.getTrace(spans[3].traceId)).length, 1);
  t.same(await again.getServices(), ['svc']);
  t.equal((await again.findSpans({ tags: { 'k8s.pod.name': 'pod-a' }, limit: 100 })).length, 10);
  // Dictionaries reload: a new span of a known service and resource reuses their rows.
  await again.writeSpans(spansAt(1, 10));
  t.same(await again.getServices(), ['svc']);
  t.equal((await again.findSpans({ tags: { 'k8s.pod.name': 'pod-a' }, limit: 100 })).length, 11);
});

t.test(
  'small writes share search-index blocks; re-written spans are found by their new tags only',
  async (t) => {
    const path = tempPath(t);
    const store = await open(t, path);
    const spans = spansAt(300, -60_000);
    for (const s of spans) await store.writeSpans([s]);
    const blocks = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT spans FROM blocks ORDER BY id').pluck().all() as number[];
      } finally {
        db.close();
      }
    };
    const sizes = blocks();
    t.ok(sizes.length <= 2, `300 one-span writes left ${sizes.length} blocks (${sizes.join(', ')})`);
    const found = await store.findSpans({ service: 'svc', tags: { age: 'new' }, limit: 1000 });
    t.equal(found.length, 300);
    t.same(
      found.slice(0, 3).map((s) => s.spanId),
      [spans[299].spanId, spans[298].spanId, spans[297].spanId],
      'newest first',
    );
    t.same(
      (await store.findSpans({ tags: { i: '7' }, limit: 10 })).map((s) => s.spanId),
      [spans[7].spanId],
    );
    // Re-written with other attributes and a later start (it lands in a newer block).
    const moved = {
      ...spans[7],
      startTimeUnixNano: spans[299].startTimeUnixNano + 10n,
      endTimeUnixNano: spans[299].startTimeUnixNano + 20n,
      attributes: [{ key: 'i', value: { intValue: '7000' } }],
    };
    const later = spansAt(400, 0);
    await store.writeSpans(later);
    await store.writeSpans([moved]);
    t.same(
      (await store.findSpans({ tags: { i: '7' }, limit: 10 })).map((s) => s.spanId),
      [later[7].spanId],
      'the old tag no longer matches the re-written span',
    );
    const again = await store.findSpans({ tags: { i: '7000' }, limit: 10 });
    t.same(
      again.map((s) => [s.spanId, s.startTimeUnixNano]),
      [[moved.spanId, moved.startTimeUnixNano]],
    );
    t.equal((await store.findSpans({ service: 'svc', limit: 10_000 })).length, 700, 'no duplicate');
    t.equal((await store.getTrace(moved.traceId)).length, 1);
  },
);

t.test('searches over blocks with overlapping times answer as the memory store', async (t) => {
  const store = await open(t, tempPath(t));
  const memory = createMemoryStore();
  t.teardown(() => memory.close());
  const base = nowNs(-600_000);
  const services = ['a', 'b', 'c'];
  // Three writes (three blocks) whose start times interleave, two spans per trace, a few late.
  for (let w = 0; w < 3; w++) {
    const spans: Span[] = [];
    for (let i = 0; i < 600; i++) {
      const start = base + BigInt((i * 3 + w) * 1000) - (i % 50 === 0 ? 400_000n : 0n);
      spans.push(
        makeSpan({
          service: services[(i + w) % 3],
          traceId: `${String(w).padStart(2, '0')}${String(Math.floor(i / 2)).padStart(30, '0')}`,
          name: i % 4 === 0 ? 'GET /x' : 'GET /',
          startTimeUnixNano: start,
          endTimeUnixNano: start + BigInt(i % 7) * 1000n,
          attributes: [
            { key: 'mod', value: { intValue: String(i % 5) } },
            { key: 'rare', value: { stringValue: i % 97 === 0 ? 'yes' : 'no' } },
          ],
        }),
      );
    }
    await store.writeSpans(spans);
    await memory.writeSpans(spans);
  }
  const queries: TraceQuery[] = [
    { service: 'a', limit: 10 },
    { service: 'b', tags: { mod: '3' }, limit: 7 },
    { tags: { rare: 'yes' }, limit: 100 },
    { service: 'c', operation: 'GET /x', limit: 5 },
    { service: 'a', tags: { mod: '1', rare: 'no' }, limit: 13, durationMinMicros: 3 },
    { service: 'b', limit: 20, startTimeMaxMicros: Number((base + 900_000n) / 1000n) },
  ];
  for (const q of queries) {
    const expected = await memory.findTraceIds(q);
    t.ok(expected.length > 0, `the memory store finds traces for ${JSON.stringify(q)}`);
    t.same(await store.findTraceIds(q), expected, `trace ids ${JSON.stringify(q)}`);
    const spanQuery: SpanQuery = {
      service: q.service,
      tags: q.tags,
      limit: q.limit,
      startTimeMaxNanos:
        q.startTimeMaxMicros === undefined ? undefined : BigInt(q.startTimeMaxMicros) * 1000n,
    };
    t.same(
      (await store.findSpans(spanQuery)).map((s) => s.spanId),
      (await memory.findSpans(spanQuery)).map((s) => s.spanId),
      `spans ${q.service} ${JSON.stringify(q.tags)}`,
    );
  }
});

t.test('opening an unusable path fails with a stable code', async (t) => {
  const path = tempPath(t);
  await t.rejects(openSqliteStore({ path: join(path, 'x', '\u0000') }), {
    code: CollectorErrorCode.StoreOpen,
  });
});

t.test('retention by age deletes old spans and their tag rows', async (t) => {
  const path = tempPath(t);
  const store = await open(t, path, { retentionBatchSize: 100 });
  const old = spansAt(1000, -3 * 3_600_000);
  const recent = spansAt(500, -60_000);
  // Separate writes: each transaction is one search-index block, dropped once all its spans are.
  await store.writeSpans(old);
  await store.writeSpans(recent);
  t.equal((await store.findSpans({ tags: { age: 'old' }, limit: 5000 })).length, 1000);
  const result = await store.runRetention({ retention: 3_600_000 });
  t.equal(result.deletedSpans, 1000);
  t.ok(result.deletedTagRows >= 3000, `index entries of old blocks deleted (${result.deletedTagRows})`);
  t.same(await store.findSpans({ tags: { age: 'old' }, limit: 5000 }), []);
  t.equal((await store.findSpans({ tags: { age: 'new' }, limit: 5000 })).length, 500);
  t.equal((await store.getTrace(old[0].traceId)).length, 0);
  t.equal((await store.getTrace(recent[0].traceId)).length, 1);
});

t.test('retention by size really frees pages and shrinks the file', async (t) => {
  const path = tempPath(t);
  const store = await open(t, path, { retentionBatchSize: 500 });
  let newestWritten = 0n;
  for (let b = 0; b < 10; b++) {
    const batch = spansAt(1000, -3_600_000 + b * 60_000, 1000);
    newestWritten = batch[batch.length - 1].startTimeUnixNano;
    await store.writeSpans(batch);
  }
  const before = store.stats();
  const bytesBefore = before.fileBytes + before.walBytes;
  t.ok(before.usedBytes > 10_000_000, `about 10 MB written (${before.usedBytes})`);
  const limit = 4_000_000;
  const result = await store.runRetention({ maxDbSizeBytes: limit });
  const after = store.stats();
  t.ok(after.usedBytes <= limit, `used bytes under the limit (${after.usedBytes})`);
  t.ok(
    after.pageCount < before.pageCount / 2,
    `page count dropped (${before.pageCount} → ${after.pageCount})`,
  );
  t.ok(result.freedPages > 0, `incremental vacuum freed ${result.freedPages} pages`);
  t.equal(after.freelistCount, 0);
  const bytesAfter = statSync(path).size + after.walBytes;
  t.ok(bytesAfter < bytesBefore / 2, `database + WAL shrank (${bytesBefore} → ${bytesAfter})`);
  t.ok(
    result.deletedSpans > 5000 && result.deletedSpans < 10_000,
    `oldest spans went (${result.deletedSpans})`,
  );
  const left = await store.findSpans({ service: 'svc', limit: 20_000 });
  t.equal(left.length, 10_000 - result.deletedSpans);
  t.equal(left[0].startTimeUnixNano, newestWritten, 'the newest spans are kept');
});

t.test('retention yields to ingest between its steps', async (t) => {
  const path = tempPath(t);
  // 250 steps: the write posted right after retention starts lands between two of them.
  const store = await open(t, path, { retentionBatchSize: 20 });
  await store.writeSpans(spansAt(5000, -3 * 3_600_000));
  let retentionDone = false;
  const retention = store.runRetention({ retention: 3_600_000 }).then((r) => {
    retentionDone = true;
    return r;
  });
  await store.writeSpans(spansAt(10, 0));
  t.notOk(retentionDone, 'a write committed while retention was still running');
  t.equal((await retention).deletedSpans, 5000);
  t.equal((await store.findSpans({ service: 'svc', limit: 100 })).length, 10);
});

t.test('the background retention timer runs on its own', async (t) => {
  const path = tempPath(t);
  const store = await open(t, path, { retention: 3_600_000, retentionIntervalMs: 20 });
  await store.writeSpans(spansAt(100, -3 * 3_600_000));
  for (let i = 0; i < 500 && (await store.findSpans({ service: 'svc', limit: 1 })).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  t.same(await store.findSpans({ service: 'svc', limit: 1 }), []);
});

for (const writer of ['worker', 'inline'] as const) {
  t.test(`${writer} writer: failures reject with a retryable CollectorError`, async (t) => {
    const path = tempPath(t);
    const store = await open(t, path, { writer });
    // A trigger (added behind the store's back) makes SQLite refuse one kind of span.
    const other = new Database(path);
    other.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON spans WHEN NEW.layer = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    other.close();
    const bad = makeSpan({ service: 'svc', layer: 'boom' });
    const err = await store.writeSpans([bad]).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isCollectorError(err));
    t.equal((err as { code: string }).code, CollectorErrorCode.StoreWrite);
    t.equal((err as { statusCode: number }).statusCode, 503);
    t.match((err as Error).message, /refused/);
    t.same(await store.getTrace(bad.traceId), []);
    const unencodable = makeSpan({ droppedAttributesCount: 1n as unknown as number });
    await t.rejects(store.writeSpans([unencodable]), { code: CollectorErrorCode.StoreWrite });
    const good = spansAt(3, 0);
    await store.writeSpans(good);
    t.equal((await store.findSpans({ service: 'svc', limit: 10 })).length, 3, 'the store keeps working');
  });
}

t.test('kill -9 during sustained writes loses no acknowledged span', async (t) => {
  const path = tempPath(t);
  const child = spawn(
    process.execPath,
    [
      '--conditions=crosstrace-source',
      '--import',
      'tsx',
      join(import.meta.dirname, '../../helpers/sqlite-writer-child.ts'),
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let acked = 0;
  let buf = '';
  const enough = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l !== '') acked = Number(l);
      if (acked >= 20_000) resolve();
    });
  });
  await enough;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const db = new Database(path);
  const stored = (db.prepare('SELECT COUNT(*) AS n FROM spans').get() as { n: number }).n;
  db.close();
  t.ok(stored >= acked, `stored ${stored} ≥ acknowledged ${acked}`);
});

t.test('a file created without incremental auto-vacuum is switched to it', async (t) => {
  const path = tempPath(t);
  const other = new Database(path);
  other.pragma('journal_mode = WAL');
  other.exec('CREATE TABLE someone_elses (x INTEGER)');
  t.equal(other.pragma('auto_vacuum', { simple: true }), 0);
  other.close();
  const store = await open(t, path);
  await store.writeSpans(spansAt(1, 0));
  const check = new Database(path, { readonly: true });
  t.equal(check.pragma('auto_vacuum', { simple: true }), 2);
  check.close();
});

t.test('another connection writing the same file does not make writes fail', async (t) => {
  const path = tempPath(t);
  const store = await open(t, path);
  const other = new Database(path, { timeout: 10_000 });
  t.teardown(() => other.close());
  other.exec('CREATE TABLE IF NOT EXISTS neighbour (n INTEGER)');
  const insert = other.prepare('INSERT INTO neighbour VALUES (?)');
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    // The neighbour writes in its own transactions (write first, as the control-plane state
    // does) while the store's writer commits.
    other.transaction(() => {
      insert.run(i);
      other.prepare('SELECT COUNT(*) FROM neighbour').get();
    })();
    writes.push(store.writeSpans(spansAt(20, 0)));
    if (i % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  const results = await Promise.allSettled(writes);
  t.same(
    results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    [],
  );
  t.equal((await store.findSpans({ service: 'svc', limit: 5000 })).length, 1000);
});
