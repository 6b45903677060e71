// What only the PostgreSQL store has: time partitions, retention by dropping them, exact terms,
// and several collectors on one database.
import pg from 'pg';
import t from 'tap';
import { openPostgresStore } from '../../../src/storage/index.js';
import { tagTerm } from '../../../src/storage/postgres/index.js';
import { startPostgres } from '../../helpers/postgres.js';
import { makeSpan, newTraceId } from '../../helpers/store-spans.js';

const cluster = await startPostgres();
t.teardown(() => cluster.stop());

const HOUR = 3_600_000;
const nsAt = (ms: number) => BigInt(ms) * 1_000_000n;

t.test('spans land in one partition per interval; retention drops whole partitions', async (t) => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore({
    url,
    partitionIntervalMs: HOUR,
    retention: 2 * HOUR,
    retentionIntervalMs: 0,
  });
  t.teardown(() => store.close());
  const now = Date.UTC(2026, 5, 1, 12, 30);
  const ages = [5, 3.5, 1.5, 0.2];
  const spans = ages.map((h) =>
    makeSpan({
      startTimeUnixNano: nsAt(now - h * HOUR),
      endTimeUnixNano: nsAt(now - h * HOUR + 5),
      attributes: [{ key: 'age', value: { stringValue: String(h) } }],
    }),
  );
  await store.writeSpans(spans);
  const parts = await store.partitions();
  t.equal(parts.length, 4, 'four hours, four partitions');
  for (const p of parts) t.equal(p.toNs - p.fromNs, 3_600_000_000_000n);
  const r = await store.runRetention(now);
  t.equal(r.droppedPartitions.length, 2, 'the partitions entirely older than 2h');
  t.equal(r.oldestStartNanos, nsAt(Date.UTC(2026, 5, 1, 11)), 'the oldest partition kept starts at 11:00');
  t.same(await store.getTrace(spans[0].traceId), []);
  t.same(await store.getTrace(spans[1].traceId), []);
  t.equal((await store.getTrace(spans[2].traceId)).length, 1);
  t.same(await store.findTraceIds({ tags: { age: '5' }, limit: 10 }), []);
  t.same(await store.findTraceIds({ tags: { age: '1.5' }, limit: 10 }), [spans[2].traceId]);
  // a write after another process dropped a partition this one believed in re-creates it
  const late = makeSpan({ startTimeUnixNano: nsAt(now - 5 * HOUR) });
  await store.writeSpans([late]);
  t.equal((await store.getTrace(late.traceId)).length, 1);
});

t.test('size retention drops the oldest partitions, keeping the newest', async (t) => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore({
    url,
    partitionIntervalMs: HOUR,
    maxDbSizeBytes: 1,
    retentionIntervalMs: 0,
  });
  t.teardown(() => store.close());
  const now = Date.UTC(2026, 5, 1, 12, 30);
  const spans = [3, 2, 1].map((h) => makeSpan({ startTimeUnixNano: nsAt(now - h * HOUR) }));
  await store.writeSpans(spans);
  const r = await store.runRetention(now);
  t.equal(r.droppedPartitions.length, 2);
  t.equal((await store.partitions()).length, 1);
  t.equal((await store.getTrace(spans[2].traceId)).length, 1, 'the newest partition stays');
});

t.test('the first store fixes the partition interval for everyone', async (t) => {
  const url = await cluster.createDatabase();
  const a = await openPostgresStore({ url, partitionIntervalMs: HOUR });
  const b = await openPostgresStore({ url, partitionIntervalMs: 24 * HOUR });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.equal(b.partitionIntervalNs, 3_600_000_000_000n);
});

t.test('tag terms are exact: = in keys, long values, numbers', async (t) => {
  t.not(tagTerm('a=b', 'c'), tagTerm('a', 'b=c'));
  t.match(tagTerm('k', 'x'.repeat(2000)), /^#/);
  const url = await cluster.createDatabase();
  const store = await openPostgresStore({ url });
  t.teardown(() => store.close());
  const long = 'select * from t where '.repeat(200);
  const a = makeSpan({ attributes: [{ key: 'a=b', value: { stringValue: 'c' } }] });
  const b = makeSpan({
    attributes: [
      { key: 'a', value: { stringValue: 'b=c' } },
      { key: 'db.statement', value: { stringValue: long } },
      { key: 'n', value: { intValue: '42' } },
    ],
  });
  await store.writeSpans([a, b]);
  t.same(await store.findTraceIds({ tags: { 'a=b': 'c' }, limit: 10 }), [a.traceId]);
  t.same(await store.findTraceIds({ tags: { a: 'b=c' }, limit: 10 }), [b.traceId]);
  t.same(await store.findTraceIds({ tags: { 'db.statement': long }, limit: 10 }), [b.traceId]);
  t.same(await store.findTraceIds({ tags: { 'db.statement': `${long}x` }, limit: 10 }), []);
  t.same(await store.findTraceIds({ tags: { n: '42' }, limit: 10 }), [b.traceId]);
});

t.test('every key of the span table starts with trace_id (distributable by trace id)', async (t) => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore({ url });
  t.teardown(() => store.close());
  await store.writeSpans([makeSpan()]);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  const r = await c.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'ct_spans'::regclass AND contype IN ('p', 'u')`,
  );
  t.ok(r.rows.length > 0);
  for (const row of r.rows) t.match(row.def, /^(PRIMARY KEY|UNIQUE) \(trace_id,/);
  const part = await c.query<{ strategy: string }>(
    "SELECT partstrat AS strategy FROM pg_partitioned_table WHERE partrelid = 'ct_spans'::regclass",
  );
  t.equal(part.rows[0]?.strategy, 'r', 'declarative RANGE partitioning');
});

t.test('two stores on one database write the same spans at once without loss or duplicates', async (t) => {
  const url = await cluster.createDatabase();
  const [a, b] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const traceId = newTraceId();
  const spans = Array.from({ length: 400 }, (_, i) =>
    makeSpan({ traceId, startTimeUnixNano: nsAt(Date.UTC(2026, 0, 1) + i) }),
  );
  const shuffled = [...spans].reverse();
  await Promise.all([
    a.writeSpans(spans.slice(0, 300)),
    b.writeSpans(shuffled.slice(0, 300)),
    a.writeSpans(spans.slice(200)),
    b.writeSpans(shuffled.slice(200)),
  ]);
  t.equal((await a.getTrace(traceId)).length, 400);
  t.equal((await b.getTrace(traceId)).length, 400);
});

t.test(
  'a lost connection: the next write reconnects, or fails retryable while the database refuses',
  async (t) => {
    const url = await cluster.createDatabase();
    const store = await openPostgresStore({ url });
    t.teardown(() => store.close());
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    t.teardown(() => c.end());
    const db = new URL(url).pathname.slice(1);
    const kick = () =>
      c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db]);
    await kick();
    const first = makeSpan();
    await store.writeSpans([first]);
    t.equal(
      (await store.getTrace(first.traceId)).length,
      1,
      'reconnected after the server closed the connection',
    );
    await c.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
    await kick();
    await new Promise((r) => setTimeout(r, 100));
    const err = await store.writeSpans([makeSpan()]).catch((e: unknown) => e);
    t.match(err, { code: 'CT_COLLECTOR_STORE_WRITE', statusCode: 503, retryAfterSeconds: 1 });
    await c.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
    const after = makeSpan();
    await store.writeSpans([after]);
    t.equal((await store.getTrace(after.traceId)).length, 1, 'writes resume once the database is back');
    await t.rejects(openPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/none' }), {
      code: 'CT_COLLECTOR_STORE_OPEN',
    });
  },
);
