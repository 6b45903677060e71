import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createError } from '../../errors.js';
import type { Span } from '../../model/span.js';
import {
  compareNewestFirst,
  filterFromSpanQuery,
  filterFromTraceQuery,
  matchesFilter,
  type SpanFilter,
  spanKindFromName,
  spanKindName,
} from '../matching.js';
import type { DependencyLink, Operation, SpanQuery, SpanStore, TraceQuery } from '../span-store.js';
import { decodeResourceScope, decodeSpan, type ResourceScope } from './codec.js';
import { encodeBatch, isIndexComplete } from './encode.js';
import { tagHash } from './hash.js';
import { BUCKET_NS } from './schema.js';
import {
  bucketOf,
  openDatabase,
  type RetentionRequest,
  type RetentionResult,
  SqliteWriter,
  type WriterOptions,
} from './writer.js';
import type { FromWorker, ToWorker } from './writer-protocol.js';

type Db = Database.Database;
type Stmt = Database.Statement;

export type { RetentionResult } from './writer.js';

export interface SqliteStoreOptions {
  /** Database file (created with its directory when missing), or ':memory:'. */
  path: string;
  /** Delete spans that started more than this many ms ago (0/undefined: keep). */
  retention?: number;
  /** Delete the oldest spans while the database holds more than this many bytes (0/undefined: no limit). */
  maxDbSizeBytes?: number;
  /**
   * `NORMAL` (default): in WAL mode a commit is in the WAL (the OS page cache) before `writeSpans`
   * resolves, so it survives the process being killed (kill -9); only an OS crash or power loss
   * can lose the last commits. `FULL` also fsyncs the WAL on every commit (survives power loss,
   * costs a disk flush per transaction).
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * `worker` (default for files): a worker thread owns the write connection, so inserts, index
   * upkeep, commits and retention run beside the event loop; the caller's thread only encodes.
   * `inline`: everything on the caller's thread (always so for ':memory:').
   */
  writer?: 'worker' | 'inline';
  /** How often the background retention runs (default 10 s). */
  retentionIntervalMs?: number;
  /** Spans deleted per retention step; steps yield to ingest in between (default 2000). */
  retentionBatchSize?: number;
  /** SQLite page cache in MiB (default 64). */
  cacheSizeMiB?: number;
}

/** Sizes, for metrics and tests. */
export interface SqliteStoreStats {
  /** Size of the main database file. */
  fileBytes: number;
  /** Size of the -wal file. */
  walBytes: number;
  pageSize: number;
  pageCount: number;
  freelistCount: number;
  /** Bytes in use: (pageCount − freelistCount) × pageSize; what `maxDbSizeBytes` bounds. */
  usedBytes: number;
}

interface SpanRow {
  id: bigint;
  trace_id: Buffer;
  span_id: Buffer;
  service_id: bigint;
  resource_id: bigint;
  layer: string;
  kind: bigint;
  start_ns: bigint;
  duration_ns: bigint;
  body: string;
}

const COLS =
  's.id, s.trace_id, s.span_id, s.service_id, s.resource_id, s.layer, s.kind, s.start_ns, s.duration_ns, s.body';
/** Beyond this many 15-minute buckets, a tag search scans by time instead (about 20 days). */
const MAX_BUCKETS_PER_SEARCH = 2000;

function hexId(id: string): Buffer {
  return Buffer.from(id, 'hex');
}

function storeError(code: 'WRITE' | 'CLOSED', message: string, cause?: unknown) {
  return createError(`CT_COLLECTOR_STORE_${code}`, message, { statusCode: 503, retryAfterSeconds: 1, cause });
}

interface StoreTimings {
  retention: number;
  maxDbSizeBytes: number;
  retentionIntervalMs: number;
}

/** The write side, on this thread or in a worker. */
interface WriterClient {
  write(spans: readonly Span[]): Promise<void>;
  retention(req: RetentionRequest): Promise<RetentionResult>;
  close(): Promise<void>;
}

/** Writes on the caller's thread; writes of one event-loop turn share a transaction. */
class InlineWriter implements WriterClient {
  readonly writer: SqliteWriter;
  #pending: Array<{ spans: readonly Span[]; resolve: () => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;
  #retention: Promise<RetentionResult> | undefined;

  constructor(writer: SqliteWriter) {
    this.writer = writer;
  }

  write(spans: readonly Span[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ spans, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const group = this.#pending;
    this.#pending = [];
    if (group.length === 0) return;
    try {
      const batches = [];
      for (const p of group) {
        try {
          batches.push(encodeBatch(p.spans));
        } catch (e) {
          p.reject(storeError('WRITE', `encoding spans failed: ${(e as Error).message}`, e));
        }
      }
      this.writer.write(batches);
      for (const p of group) p.resolve();
    } catch (e) {
      const err = storeError('WRITE', `writing spans failed: ${(e as Error).message}`, e);
      for (const p of group) p.reject(err);
    }
  }

  retention(req: RetentionRequest): Promise<RetentionResult> {
    const run = (this.#retention ?? Promise.resolve()).then(() =>
      this.writer.retention(req, () => new Promise<void>((r) => setImmediate(r))),
    );
    this.#retention = run.catch(() => ({ deletedSpans: 0, deletedTagRows: 0, freedPages: 0 }));
    return run;
  }

  async close(): Promise<void> {
    this.#flush();
    this.writer.close();
    await this.#retention;
  }
}

/** Starts the writer worker and waits for its database to be open. */
async function spawn(entry: URL | string, opts: WriterOptions): Promise<Worker> {
  const worker =
    typeof entry === 'string'
      ? new Worker(entry, {
          eval: true,
          workerData: opts,
          execArgv: process.execArgv.filter((a) => a.startsWith('--conditions')),
        })
      : new Worker(entry, { workerData: opts });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'open-error') reject(new Error(m.message));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`writer thread exited (${code})`)));
  }).finally(() => {
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
  });
  return worker;
}

/** Writes in a worker thread (writer-worker.ts) that owns the write connection. */
class WorkerWriter implements WriterClient {
  readonly #worker: Worker;
  readonly #calls = new Map<
    number,
    { resolve: (v: RetentionResult | undefined) => void; reject: (e: unknown) => void }
  >();
  #next = 1;
  #failed: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'done') return;
      const call = this.#calls.get(m.id);
      if (call === undefined) return;
      this.#calls.delete(m.id);
      if (this.#calls.size === 0) worker.unref();
      if (m.error !== undefined) call.reject(storeError('WRITE', `writing spans failed: ${m.error}`));
      else call.resolve(m.result);
    });
    const fail = (e: Error) => {
      this.#failed = e;
      for (const c of this.#calls.values())
        c.reject(storeError('WRITE', `the SQLite writer stopped: ${e.message}`, e));
      this.#calls.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`writer thread exited (${code})`)));
  }

  static async start(opts: WriterOptions): Promise<WorkerWriter> {
    const self = import.meta.url;
    if (!self.endsWith('.ts'))
      return new WorkerWriter(await spawn(new URL('./writer-worker.js', self), opts));
    // Source form (tests, tsx): tsx does not carry into worker threads, and tap's ts-node loader
    // takes seconds to start in each one; the worker registers tsx itself, without other loaders.
    const entry = new URL('./writer-worker.ts', self);
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new WorkerWriter(await spawn(code, opts));
  }

  #call(m: ToWorker, transfer: ArrayBuffer[] = []): Promise<RetentionResult | undefined> {
    if (this.#failed !== undefined) {
      return Promise.reject(
        storeError('WRITE', `the SQLite writer stopped: ${this.#failed.message}`, this.#failed),
      );
    }
    return new Promise((resolve, reject) => {
      // Keep the process alive only while a call is outstanding: an idle store never holds it.
      if (this.#calls.size === 0) this.#worker.ref();
      this.#calls.set(m.id, { resolve, reject });
      this.#worker.postMessage(m, transfer);
    });
  }

  async write(spans: readonly Span[]): Promise<void> {
    let batch: ReturnType<typeof encodeBatch>;
    try {
      batch = encodeBatch(spans);
    } catch (e) {
      throw storeError('WRITE', `encoding spans failed: ${(e as Error).message}`, e);
    }
    await this.#call({ type: 'write', id: this.#next++, batches: [batch] }, [
      batch.tags.buffer as ArrayBuffer,
      batch.tagCounts.buffer as ArrayBuffer,
    ]);
  }

  async retention(request: RetentionRequest): Promise<RetentionResult> {
    const r = await this.#call({ type: 'retention', id: this.#next++, request });
    return r ?? { deletedSpans: 0, deletedTagRows: 0, freedPages: 0 };
  }

  async close(): Promise<void> {
    if (this.#failed === undefined) await this.#call({ type: 'close', id: this.#next++ }).catch(() => {});
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

/**
 * A SpanStore on SQLite (better-sqlite3): WAL, writes batched in transactions by one writer (a
 * worker thread by default) and acknowledged after commit, idempotent on (traceId, spanId),
 * retention by age and size in small background steps with incremental vacuum. Reads use their
 * own connection on the caller's thread.
 */
export class SqliteSpanStore implements SpanStore {
  readonly path: string;
  readonly #db: Db;
  readonly #writer: WriterClient;
  readonly #opts: StoreTimings;
  readonly #stmts = new Map<string, Stmt>();
  readonly #serviceNames = new Map<number, string>();
  readonly #serviceIds = new Map<string, number>();
  #resourceById = new Map<number, ResourceScope>();
  #closed = false;
  #retentionTimer: NodeJS.Timeout | undefined;
  #retentionRunning: Promise<RetentionResult> | undefined;

  private constructor(path: string, db: Db, writer: WriterClient, opts: StoreTimings) {
    this.path = path;
    this.#db = db;
    this.#writer = writer;
    this.#opts = opts;
    if ((opts.retention > 0 || opts.maxDbSizeBytes > 0) && opts.retentionIntervalMs > 0) {
      this.#retentionTimer = setInterval(() => {
        if (this.#retentionRunning === undefined) void this.runRetention().catch(() => {});
      }, opts.retentionIntervalMs);
      this.#retentionTimer.unref();
    }
  }

  /** Use `openSqliteStore()`. */
  static async open(opts: SqliteStoreOptions): Promise<SqliteSpanStore> {
    const writerOpts: WriterOptions = {
      path: opts.path,
      synchronous: opts.synchronous ?? 'NORMAL',
      cacheSizeMiB: opts.cacheSizeMiB ?? 64,
      retentionBatchSize: opts.retentionBatchSize ?? 2000,
    };
    const storeOpts = {
      retention: opts.retention ?? 0,
      maxDbSizeBytes: opts.maxDbSizeBytes ?? 0,
      retentionIntervalMs: opts.retentionIntervalMs ?? 10_000,
    };
    const inline = opts.path === ':memory:' || opts.path === '' || opts.writer === 'inline';
    if (inline) {
      const writer = new SqliteWriter(writerOpts);
      return new SqliteSpanStore(opts.path, writer.db, new InlineWriter(writer), storeOpts);
    }
    // Create the schema here first (and fail fast on a bad path), then hand writing to the worker.
    openDatabase(writerOpts).close();
    const writer = await WorkerWriter.start(writerOpts);
    const db = new Database(opts.path);
    db.pragma(`cache_size = -${writerOpts.cacheSizeMiB * 1024}`);
    // Reads through a memory map: pages come from the OS cache without a syscall each.
    db.pragma(`mmap_size = ${256 * 1024 * 1024}`);
    return new SqliteSpanStore(opts.path, db, writer, storeOpts);
  }

  #stmt(sql: string): Stmt {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      if (this.#stmts.size > 500) this.#stmts.clear();
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #serviceName(id: number): string {
    let name = this.#serviceNames.get(id);
    if (name === undefined) {
      name =
        (this.#stmt('SELECT name FROM services WHERE id = ?').pluck().get(id) as string | undefined) ?? '';
      if (name !== '') this.#serviceNames.set(id, name);
    }
    return name;
  }

  #serviceIdOf(name: string): number | undefined {
    let id = this.#serviceIds.get(name);
    if (id === undefined) {
      id = this.#stmt('SELECT id FROM services WHERE name = ?').pluck().get(name) as number | undefined;
      if (id !== undefined) this.#serviceIds.set(name, id);
    }
    return id;
  }

  #resource(id: number): ResourceScope {
    let r = this.#resourceById.get(id);
    if (r === undefined) {
      const body = this.#stmt('SELECT body FROM resources WHERE id = ?').pluck().get(id) as
        | string
        | undefined;
      r =
        body === undefined
          ? {
              resource: { attributes: [], droppedAttributesCount: 0 },
              scope: { name: '', version: '', attributes: [] },
            }
          : decodeResourceScope(body);
      if (this.#resourceById.size > 50_000) this.#resourceById = new Map();
      this.#resourceById.set(id, r);
    }
    return r;
  }

  #decodeRow(row: SpanRow): Span {
    const rs = this.#resource(Number(row.resource_id));
    return decodeSpan(row.body, {
      traceId: row.trace_id.toString('hex'),
      spanId: row.span_id.toString('hex'),
      kind: Number(row.kind),
      startTimeUnixNano: row.start_ns,
      durationNanos: row.duration_ns,
      layer: row.layer,
      serviceName: this.#serviceName(Number(row.service_id)),
      resource: rs.resource,
      scope: rs.scope,
    });
  }

  // ---- writes ----

  /** Resolves once the spans are committed (see `synchronous` for what that survives). */
  writeSpans(spans: readonly Span[]): Promise<void> {
    if (this.#closed) return Promise.reject(storeError('CLOSED', 'the span store is closed'));
    if (spans.length === 0) return Promise.resolve();
    return this.#writer.write(spans);
  }

  // ---- reads ----

  async getTrace(traceId: string): Promise<Span[]> {
    this.#checkOpen();
    const rows = this.#stmt(`SELECT ${COLS} FROM spans s WHERE s.trace_id = ?`)
      .safeIntegers(true)
      .all(hexId(traceId.toLowerCase())) as SpanRow[];
    return rows.map((r) => this.#decodeRow(r)).sort((a, b) => -compareNewestFirst(a, b));
  }

  async getSpansByIds(traceId: string, spanIds: readonly string[]): Promise<Span[]> {
    this.#checkOpen();
    const out: Span[] = [];
    const trace = hexId(traceId.toLowerCase());
    const stmt = this.#stmt(
      `SELECT ${COLS} FROM spans s WHERE s.trace_id = ? AND s.span_id = ?`,
    ).safeIntegers(true);
    for (const id of spanIds) {
      const row = stmt.get(trace, hexId(id.toLowerCase())) as SpanRow | undefined;
      if (row !== undefined) out.push(this.#decodeRow(row));
    }
    return out;
  }

  async findTraceIds(query: TraceQuery): Promise<string[]> {
    this.#checkOpen();
    const spans = this.#search(filterFromTraceQuery(query), 'traces', query.limit);
    const ids = new Set<string>();
    for (const s of spans) {
      if (ids.size >= query.limit) break;
      ids.add(s.traceId);
    }
    return [...ids];
  }

  async findSpans(query: SpanQuery): Promise<Span[]> {
    this.#checkOpen();
    return this.#search(filterFromSpanQuery(query), 'spans', query.limit).slice(0, Math.max(0, query.limit));
  }

  /**
   * Matching spans, newest first. Stops once `limit` spans (or spans of `limit` distinct traces)
   * are found. SQL narrows with indexes; `matchesFilter` has the last word.
   */
  #search(f: SpanFilter, unit: 'traces' | 'spans', limit: number): Span[] {
    if (limit <= 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.traceId !== undefined) {
      where.push('s.trace_id = ?');
      params.push(hexId(f.traceId));
    }
    let serviceId: number | undefined;
    if (f.service !== undefined) {
      serviceId = this.#serviceIdOf(f.service);
      if (serviceId === undefined) return [];
      where.push('s.service_id = ?');
      params.push(serviceId);
    }
    let operationIds: number[] = [];
    if (f.operation !== undefined) {
      const ops = this.#stmt('SELECT id, service_id, kind FROM operations WHERE name = ?').all(
        f.operation,
      ) as Array<{
        id: number;
        service_id: number;
        kind: number;
      }>;
      operationIds = ops
        .filter(
          (o) =>
            (serviceId === undefined || o.service_id === serviceId) &&
            (f.kind === undefined || o.kind === f.kind),
        )
        .map((o) => o.id);
      if (operationIds.length === 0) return [];
      where.push(`s.operation_id IN (${operationIds.map(() => '?').join(', ')})`);
      params.push(...operationIds);
    }
    if (f.kind !== undefined) {
      if (f.kind < 0) return [];
      where.push('s.kind = ?');
      params.push(f.kind);
    }
    if (f.layer !== undefined) {
      where.push('s.layer = ?');
      params.push(f.layer);
    }
    if (f.startMinNs !== undefined) {
      where.push('s.start_ns >= ?');
      params.push(f.startMinNs);
    }
    if (f.startMaxNs !== undefined) {
      where.push('s.start_ns <= ?');
      params.push(f.startMaxNs);
    }
    if (f.durationMinNs !== undefined) {
      where.push('s.duration_ns >= ?');
      params.push(f.durationMinNs);
    }
    if (f.durationMaxNs !== undefined) {
      where.push('s.duration_ns <= ?');
      params.push(f.durationMaxNs);
    }
    const cond = where.length > 0 ? where.join(' AND ') : '1';
    const out: Span[] = [];
    const traces = new Set<string>();
    const enough = () => (unit === 'spans' ? out.length >= limit : traces.size >= limit);
    const accept = (row: SpanRow): void => {
      const s = this.#decodeRow(row);
      if (!matchesFilter(s, f)) return;
      out.push(s);
      traces.add(s.traceId);
    };

    if (f.traceId !== undefined) {
      for (const r of this.#stmt(`SELECT ${COLS} FROM spans s WHERE ${cond}`)
        .safeIntegers(true)
        .iterate(...params)) {
        accept(r as SpanRow);
      }
      return out.sort(compareNewestFirst);
    }

    const driver = f.tags.find(([k, v]) => isIndexComplete(k, v));
    if (driver !== undefined) {
      const [key, value] = driver;
      const kv = tagHash(key, value);
      const resourceIds = (
        this.#stmt('SELECT resource_id FROM resource_tags WHERE kv = ?').pluck().all(kv) as number[]
      ).slice(0, 500);
      const range = this.#stmt(
        'SELECT (SELECT MIN(start_ns) FROM spans) AS lo, (SELECT MAX(start_ns) FROM spans) AS hi',
      )
        .safeIntegers(true)
        .get() as { lo: bigint | null; hi: bigint | null };
      if (range.lo === null || range.hi === null) return [];
      const lo = bucketOf(f.startMinNs !== undefined && f.startMinNs > range.lo ? f.startMinNs : range.lo);
      const hi = bucketOf(f.startMaxNs !== undefined && f.startMaxNs < range.hi ? f.startMaxNs : range.hi);
      if (hi - lo > MAX_BUCKETS_PER_SEARCH)
        return this.#scan(cond, params, serviceId, operationIds, f.layer !== undefined, enough, accept, out);
      const order = 'ORDER BY s.start_ns DESC, s.span_id';
      const tagStmt = this.#stmt(
        `SELECT ${COLS} FROM span_tags t CROSS JOIN spans s ON s.id = t.span_rowid WHERE t.bucket = ? AND t.kv = ? AND ${cond} ${order}`,
      ).safeIntegers(true);
      const resStmt =
        resourceIds.length === 0
          ? undefined
          : this.#stmt(
              `SELECT ${COLS} FROM spans s INDEXED BY spans_resource WHERE s.resource_id IN (${resourceIds
                .map(() => '?')
                .join(', ')}) AND s.start_ns >= ? AND s.start_ns < ? AND ${cond} ${order}`,
            ).safeIntegers(true);
      // Buckets newest first; in a bucket, both sources newest first, merged, decoded lazily, so
      // the search stops as soon as it has enough.
      const newer = (x: SpanRow, y: SpanRow) =>
        x.start_ns > y.start_ns || (x.start_ns === y.start_ns && Buffer.compare(x.span_id, y.span_id) < 0);
      for (let b = hi; b >= lo && !enough(); b--) {
        const bStart = BigInt(b) * BUCKET_NS;
        const a = tagStmt.iterate(b, kv, ...params) as IterableIterator<SpanRow>;
        const c = resStmt?.iterate(...resourceIds, bStart, bStart + BUCKET_NS, ...params) as
          | IterableIterator<SpanRow>
          | undefined;
        let x = a.next();
        let y = c?.next();
        let last: bigint | undefined;
        try {
          while (!enough()) {
            let row: SpanRow;
            if (!x.done && (y === undefined || y.done || newer(x.value, y.value))) {
              row = x.value;
              x = a.next();
            } else if (y !== undefined && !y.done) {
              row = y.value;
              y = c!.next();
            } else break;
            if (row.id === last) continue;
            last = row.id;
            accept(row);
          }
        } finally {
          a.return?.();
          c?.return?.();
        }
      }
      return out;
    }

    return this.#scan(cond, params, serviceId, operationIds, f.layer !== undefined, enough, accept, out);
  }

  async getServices(): Promise<string[]> {
    this.#checkOpen();
    return this.#stmt('SELECT name FROM services ORDER BY name').pluck().all() as string[];
  }

  async getOperations(service: string, spanKind?: string): Promise<Operation[]> {
    this.#checkOpen();
    const serviceId = this.#serviceIdOf(service);
    if (serviceId === undefined) return [];
    const kind = spanKind === undefined || spanKind === '' ? undefined : (spanKindFromName(spanKind) ?? -1);
    const out: Operation[] = [];
    const ops = this.#stmt('SELECT name, kind FROM operations WHERE service_id = ?').all(serviceId) as Array<{
      name: string;
      kind: number;
    }>;
    for (const op of ops) {
      if (kind !== undefined && op.kind !== kind) continue;
      out.push({ name: op.name, spanKind: spanKindName(op.kind) });
    }
    return out.sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind < b.spanKind ? -1 : 1,
    );
  }

  async getDependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    this.#checkOpen();
    const end = BigInt(Math.trunc(endMs)) * 1_000_000n;
    const start = end - BigInt(Math.trunc(lookbackMs)) * 1_000_000n;
    const rows = this.#stmt(
      `SELECT p.service_id AS parent, c.service_id AS child, COUNT(*) AS n
       FROM spans c INDEXED BY spans_start JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_id
       WHERE c.start_ns >= ? AND c.start_ns <= ? AND c.parent_id IS NOT NULL AND p.service_id != c.service_id
       GROUP BY p.service_id, c.service_id`,
    ).all(start, end) as Array<{ parent: number; child: number; n: number }>;
    return rows.map((r) => ({
      parent: this.#serviceName(r.parent),
      child: this.#serviceName(r.child),
      callCount: r.n,
    }));
  }

  /** Newest-first scan through the service, operation or start-time index, filtering as it goes. */
  #scan(
    cond: string,
    params: unknown[],
    serviceId: number | undefined,
    operationIds: number[] | undefined,
    byLayer: boolean,
    enough: () => boolean,
    accept: (row: SpanRow) => void,
    out: Span[],
  ): Span[] {
    const index =
      operationIds !== undefined && operationIds.length === 1
        ? 'spans_operation'
        : serviceId !== undefined
          ? 'spans_service'
          : byLayer
            ? 'spans_layer'
            : 'spans_start';
    const stmt = this.#stmt(
      `SELECT ${COLS} FROM spans s INDEXED BY ${index} WHERE ${cond} ORDER BY s.start_ns DESC, s.span_id`,
    ).safeIntegers(true);
    for (const r of stmt.iterate(...params)) {
      accept(r as SpanRow);
      if (enough()) break;
    }
    return out;
  }

  // ---- retention ----

  /** Database sizes (main file, WAL, pages). */
  stats(): SqliteStoreStats {
    const pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    const pageCount = this.#db.pragma('page_count', { simple: true }) as number;
    const freelistCount = this.#db.pragma('freelist_count', { simple: true }) as number;
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    const file = this.path !== ':memory:' && this.path !== '';
    return {
      fileBytes: file ? size(this.path) : 0,
      walBytes: file ? size(`${this.path}-wal`) : 0,
      pageSize,
      pageCount,
      freelistCount,
      usedBytes: (pageCount - freelistCount) * pageSize,
    };
  }

  /**
   * Runs retention now, to completion, in small steps that let writes in between: spans older
   * than `retention`, then the oldest spans while the database is over `maxDbSizeBytes`, then
   * incremental vacuum and a WAL checkpoint so the file really shrinks.
   */
  runRetention(overrides: { retention?: number; maxDbSizeBytes?: number } = {}): Promise<RetentionResult> {
    if (this.#closed) return Promise.reject(storeError('CLOSED', 'the span store is closed'));
    const p = this.#writer
      .retention({
        retention: overrides.retention ?? this.#opts.retention,
        maxDbSizeBytes: overrides.maxDbSizeBytes ?? this.#opts.maxDbSizeBytes,
      })
      .finally(() => {
        if (this.#retentionRunning === p) this.#retentionRunning = undefined;
      });
    this.#retentionRunning = p;
    return p;
  }

  // ---- lifecycle ----

  #checkOpen(): void {
    if (this.#closed) throw storeError('CLOSED', 'the span store is closed');
  }

  /** Commits pending writes, stops retention and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retentionTimer !== undefined) clearInterval(this.#retentionTimer);
    if (this.#writer instanceof InlineWriter) {
      await this.#writer.close();
    } else {
      await this.#writer.close();
      this.#db.close();
    }
  }
}

/**
 * Opens (or creates) a SQLite span store.
 *
 * @example
 * const store = await openSqliteStore({ path: './crosstrace.db', retention: 72 * 3600_000 });
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteSpanStore> {
  try {
    return await SqliteSpanStore.open(opts);
  } catch (e) {
    throw createError(
      'CT_COLLECTOR_STORE_OPEN',
      `cannot open SQLite store at ${opts.path}: ${(e as Error).message}`,
      {
        statusCode: 500,
        cause: e,
      },
    );
  }
}
