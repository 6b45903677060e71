// The query API on every backend: SQLite and PostgreSQL must answer each request of a Jaeger UI /
// Grafana session exactly as the memory store does (whose answers test/query/jaeger.test.ts and
// v3.test.ts check field by field).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { registerQueryRoutes } from '../../src/query/index.js';
import {
  createMemoryStore,
  openPostgresStore,
  openSqliteStore,
  type SpanStore,
} from '../../src/storage/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { queryAnswers, queryDataset, queryRequests } from '../helpers/query-answers.js';
import { BASE_MS } from '../helpers/store-spans.js';

const NOW_MS = BASE_MS + 3_600_000;
const dataset = queryDataset();
const urls = queryRequests(dataset);

async function answersOf(store: SpanStore) {
  // written in several batches, newest first, to exercise several commits
  for (let i = dataset.length; i > 0; i -= 25) await store.writeSpans(dataset.slice(Math.max(0, i - 25), i));
  const app = Fastify();
  registerQueryRoutes(app, { store, now: () => NOW_MS });
  await app.ready();
  try {
    return await queryAnswers(app, urls);
  } finally {
    await app.close();
    await store.close();
  }
}

const expected = await answersOf(createMemoryStore());

t.test('the memory answers are not empty (the comparison means something)', async (t) => {
  const traces = expected[urls[4]].body as { data: unknown[] };
  t.equal(traces.data.length, 10);
  t.equal((expected[urls[6]].body as { data: unknown[] }).data.length, 8, 'error traces');
  t.equal(expected[`/api/traces/${'f'.repeat(32)}`].status, 404);
});

t.test('SQLite answers like memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-q-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const got = await answersOf(await openSqliteStore({ path: join(dir, 'q.db') }));
  for (const url of urls) t.same(got[url], expected[url], url);
});

t.test('PostgreSQL answers like memory', async (t) => {
  const cluster = await startPostgres();
  t.teardown(() => cluster.stop());
  const got = await answersOf(await openPostgresStore({ url: await cluster.createDatabase() }));
  for (const url of urls) t.same(got[url], expected[url], url);
});
