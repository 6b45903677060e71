// PostgreSQL store against the SQLite store, same run, same spans: ingest (writeSpans, durable
// before resolve, 8 batches of 512 in flight), then trace by id and tag search p99 once both hold
// N spans (CROSSTRACE_BENCH_PG_SPANS, default 1M). The PostgreSQL server is a throw-away cluster
// on loopback (test/helpers/postgres.ts, fsync off as in the tests: the same durability SQLite's
// synchronous=NORMAL gives, a process crash loses nothing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchRow, report } from '../../../scripts/bench/record.js';
import { openPostgresStore, openSqliteStore, type SpanStore } from '../src/storage/index.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { rng } from './random.js';
import {
  customerSearch,
  ERROR_SEARCH,
  generator,
  jaegerSearch,
  PKG,
  percentile,
  result,
  SPANS_PER_TRACE,
  timeEach,
  WINDOW_MS,
  writeRound,
  writer,
} from './workload.js';

/** Trace by id, then Jaeger's search (service + tag, last hour, 20 traces, each trace read). */
async function queries(store: SpanStore, ids: readonly string[], seed: number) {
  const r = rng(seed);
  const byId = await timeEach(500, () => store.getTrace(ids[Math.floor(r() * ids.length)]));
  const search = await timeEach(150, () => jaegerSearch(store, customerSearch(r)));
  const errors = await timeEach(60, () => jaegerSearch(store, ERROR_SEARCH));
  return { byId, search, errors };
}

export default async function run(): Promise<void> {
  const total = Number(process.env.CROSSTRACE_BENCH_PG_SPANS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'ct-pg-bench-'));
  const cluster = await startPostgres();
  try {
    const baseMs = Date.now() - WINDOW_MS;
    const sqlite = await openSqliteStore({ path: join(dir, 'spans.db') });
    const pg = await openPostgresStore({
      url: await cluster.createDatabase('ct_bench'),
      partitionIntervalMs: 6 * 3600_000,
    });
    const gen = generator(total, baseMs);
    const w = {
      sqlite: writer((b) => sqlite.writeSpans(b), gen),
      pg: writer((b) => pg.writeSpans(b), generator(total, baseMs)),
    };
    // round by round, alternating, so that both see the same machine state
    for (;;) {
      const more = await writeRound(w.sqlite);
      if (!(await writeRound(w.pg)) || !more) break;
    }
    const sqliteWrite = result(w.sqlite);
    const pgWrite = result(w.pg);
    const ids = gen.traceIds.slice(0, Math.floor(total / SPANS_PER_TRACE));
    // queries alternate too: SQLite, PostgreSQL, SQLite, PostgreSQL
    const s1 = await queries(sqlite, ids, 7);
    const p1 = await queries(pg, ids, 7);
    const s2 = await queries(sqlite, ids, 8);
    const p2 = await queries(pg, ids, 8);
    const s = {
      byId: [...s1.byId, ...s2.byId],
      search: [...s1.search, ...s2.search],
      errors: [...s1.errors, ...s2.errors],
    };
    const p = {
      byId: [...p1.byId, ...p2.byId],
      search: [...p1.search, ...p2.search],
      errors: [...p1.errors, ...p2.errors],
    };
    const parts = await pg.partitions();
    const pgBytes = parts.reduce((a, x) => a + x.bytes, 0);
    const sqliteBytes = sqlite.stats().fileBytes;
    await sqlite.close();
    await pg.close();

    const note = `${total.toLocaleString('en-US')} spans in each; PostgreSQL ${parts.length} partitions, ${(pgBytes / 2 ** 20).toFixed(0)} MiB; SQLite ${(sqliteBytes / 2 ** 20).toFixed(0)} MiB`;
    const rows: BenchRow[] = [
      {
        package: PKG,
        benchmark: 'PostgreSQL store: writeSpans, 8 × 512 in flight (durable before resolve)',
        ours: pgWrite.rate,
        peer: sqliteWrite.rate,
        peerName: 'SQLite store, same spans, interleaved',
        unit: 'spans/s',
        higherIsBetter: true,
        note: `${note}; collector CPU ${pgWrite.cpuUsPerSpan.toFixed(1)} vs ${sqliteWrite.cpuUsPerSpan.toFixed(1)} µs/span (PostgreSQL's own CPU not counted)`,
      },
      {
        package: PKG,
        benchmark: 'PostgreSQL store: trace by id p99',
        ours: percentile(p.byId, 99),
        peer: percentile(s.byId, 99),
        peerName: 'SQLite store',
        unit: 'ms',
        higherIsBetter: false,
        note: `${note}; p50 ${percentile(p.byId, 50).toFixed(2)} vs ${percentile(s.byId, 50).toFixed(2)} ms`,
      },
      {
        package: PKG,
        benchmark: 'PostgreSQL store: search service+tag (1h, 20 traces) p99',
        ours: percentile(p.search, 99),
        peer: percentile(s.search, 99),
        peerName: 'SQLite store',
        unit: 'ms',
        higherIsBetter: false,
        note: `p50 ${percentile(p.search, 50).toFixed(2)} vs ${percentile(s.search, 50).toFixed(2)} ms`,
      },
      {
        package: PKG,
        benchmark: 'PostgreSQL store: search service+http.status_code=500 p99',
        ours: percentile(p.errors, 99),
        peer: percentile(s.errors, 99),
        peerName: 'SQLite store',
        unit: 'ms',
        higherIsBetter: false,
        note: `p50 ${percentile(p.errors, 50).toFixed(2)} vs ${percentile(s.errors, 50).toFixed(2)} ms`,
      },
    ];
    report(rows);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
