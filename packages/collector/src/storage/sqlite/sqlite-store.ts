import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CollectorErrorCode, createError } from '../../errors.js';
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
import {
  encodeBatch,
  isIndexComplete,
  layerTerm,
  operationTerm,
  serviceTerm,
  transferList,
} from './encode.js';
import { tagHash } from './hash.js';
import { lookupPostings } from './postings.js';
import {
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
  /**
   * Called after each retention run with what it did (`oldestStartNanos`:
   * the oldest span left), so that state kept beside the spans can follow.
   */
  onRetention?: (result: RetentionResult) => void;
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
const MIN_NS = -(2n ** 63n);
const MAX_NS = 2n ** 63n - 1n;

/** compareNewestFirst on undecoded rows. */
function newerRowFirst(x: SpanRow, y: SpanRow): number {
  if (x.start_ns !== y.start_ns) return x.start_ns > y.start_ns ? -1 : 1;
  return Buffer.compare(x.span_id, y.span_id);
}

/** True when the ascending list holds x. */
function sortedHas(list: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < x) lo = mid + 1;
    else if (list[mid] > x) hi = mid - 1;
    else return true;
  }
  return false;
}

/**
 * In spans sorted newest first: the start time of the last span needed for `limit` spans (or
 * spans of `limit` distinct traces); undefined when there are not enough.
 */
function cutoffStart(sorted: readonly Span[], unit: 'traces' | 'spans', limit: number): bigint | undefined {
  if (unit === 'spans') return sorted.length >= limit ? sorted[limit - 1].startTimeUnixNano : undefined;
  const traces = new Set<string>();
  for (const s of sorted) {
    traces.add(s.traceId);
    if (traces.size >= limit) return s.startTimeUnixNano;
  }
  return undefined;
}

const NO_RETENTION: RetentionResult = Object.freeze({
  deletedSpans: 0,
  deletedTagRows: 0,
  freedPages: 0,
  deletedServices: 0,
  deletedOperations: 0,
});

function hexId(id: string): Buffer {
  return Buffer.from(id, 'hex');
}

function storeError(
  code: typeof CollectorErrorCode.StoreWrite | typeof CollectorErrorCode.StoreClosed,
  message: string,
  cause?: unknown,
) {
  return createError(code, message, { statusCode: 503, retryAfterSeconds: 1, cause });
}

interface StoreTimings {
  retention: number;
  maxDbSizeBytes: number;
  retentionIntervalMs: number;
  onRetention?: (result: RetentionResult) => void;
}

/** The write side, on this thread or in a worker. */
interface WriterClient {
  write(spans: readonly Span[]): Promise<void>;
  /** hex ids, lower case; after the writes already queued */
  deleteSpans(traceId: string, spanIds: string[] | undefined): Promise<void>;
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
          p.reject(
            storeError(CollectorErrorCode.StoreWrite, `encoding spans failed: ${(e as Error).message}`, e),
          );
        }
      }
      this.writer.write(batches);
      for (const p of group) p.resolve();
    } catch (e) {
      const err = storeError(
        CollectorErrorCode.StoreWrite,
        `writing spans failed: ${(e as Error).message}`,
        e,
      );
      for (const p of group) p.reject(err);
    }
  }

  async deleteSpans(traceId: string, spanIds: string[] | undefined): Promise<void> {
    // the writes queued before this call commit first, so write-then-delete keeps its order
    this.#flush();
    try {
      this.writer.deleteSpans(traceId, spanIds);
    } catch (e) {
      throw storeError(CollectorErrorCode.StoreWrite, `deleting spans failed: ${(e as Error).message}`, e);
    }
  }

  retention(req: RetentionRequest): Promise<RetentionResult> {
    const run = (this.#retention ?? Promise.resolve()).then(() =>
      this.writer.retention(req, () => new Promise<void>((r) => setImmediate(r))),
    );
    this.#retention = run.catch(() => ({ ...NO_RETENTION }));
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
      if (m.error !== undefined)
        call.reject(storeError(CollectorErrorCode.StoreWrite, `writing spans failed: ${m.error}`));
      else call.resolve(m.result);
    });
    const fail = (e: Error) => {
      this.#failed = e;
      for (const c of this.#calls.values())
        c.reject(storeError(CollectorErrorCode.StoreWrite, `the SQLite writer stopped: ${e.message}`, e));
      this.#calls.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`writer thread exited (${code})`)));
  }

  static async start(opts: WriterOptions): Promise<WorkerWriter> {
    const self = import.meta.url;
    if (!self.endsWith('.ts'))
      return new WorkerWriter(await spawn(new URL('./writer-worker.js', self), opts));
    // Source form (tests, tsx): a loader given with --import does not carry into worker threads;
    // the worker registers tsx itself, without other loaders.
    const entry = new URL('./writer-worker.ts', self);
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new WorkerWriter(await spawn(code, opts));
  }

  #call(m: ToWorker, transfer: ArrayBuffer[] = []): Promise<RetentionResult | undefined> {
    if (this.#failed !== undefined) {
      return Promise.reject(
        storeError(
          CollectorErrorCode.StoreWrite,
          `the SQLite writer stopped: ${this.#failed.message}`,
          this.#failed,
        ),
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
      throw storeError(CollectorErrorCode.StoreWrite, `encoding spans failed: ${(e as Error).message}`, e);
    }
    await this.#call({ type: 'write', id: this.#next++, batches: [batch] }, transferList(batch));
  }

  async deleteSpans(traceId: string, spanIds: string[] | undefined): Promise<void> {
    await this.#call({ type: 'delete', id: this.#next++, traceId, spanIds });
  }

  async retention(request: RetentionRequest): Promise<RetentionResult> {
    const r = await this.#call({ type: 'retention', id: this.#next++, request });
    return r ?? { ...NO_RETENTION };
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
      onRetention: opts.onRetention,
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
    if (this.#closed)
      return Promise.reject(storeError(CollectorErrorCode.StoreClosed, 'the span store is closed'));
    if (spans.length === 0) return Promise.resolve();
    return this.#writer.write(spans);
  }

  /**
   * Deletes spans of a trace (all of them when `spanIds` is omitted), after the writes already
   * queued; resolves once committed.
   */
  deleteSpans(traceId: string, spanIds?: readonly string[]): Promise<void> {
    if (this.#closed)
      return Promise.reject(storeError(CollectorErrorCode.StoreClosed, 'the span store is closed'));
    if (spanIds !== undefined && spanIds.length === 0) return Promise.resolve();
    const hex = /^[0-9a-f]*$/;
    const trace = traceId.toLowerCase();
    const ids = spanIds?.map((id) => id.toLowerCase()).filter((id) => hex.test(id) && id.length % 2 === 0);
    if (!hex.test(trace) || trace.length % 2 !== 0 || ids?.length === 0) return Promise.resolve();
    return this.#writer.deleteSpans(trace, ids);
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
   * are certainly found. Indexes narrow; `matchesFilter` has the last word.
   */
  #search(f: SpanFilter, unit: 'traces' | 'spans', limit: number): Span[] {
    if (limit <= 0) return [];
    if (f.kind !== undefined && f.kind < 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.kind !== undefined) {
      where.push('s.kind = ?');
      params.push(f.kind);
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
    const out: Span[] = [];
    const accept = (row: SpanRow): void => {
      const s = this.#decodeRow(row);
      if (matchesFilter(s, f)) out.push(s);
    };

    if (f.traceId !== undefined) {
      where.push('s.trace_id = ?');
      params.push(hexId(f.traceId));
      for (const r of this.#stmt(`SELECT ${COLS} FROM spans s WHERE ${where.join(' AND ')}`)
        .safeIntegers(true)
        .all(...params)) {
        accept(r as SpanRow);
      }
      return out.sort(compareNewestFirst);
    }

    const terms: number[] = [];
    if (f.service !== undefined) terms.push(serviceTerm(f.service));
    if (f.operation !== undefined) terms.push(operationTerm(f.operation));
    if (f.layer !== undefined) terms.push(layerTerm(f.layer));
    for (const [k, v] of f.tags) if (isIndexComplete(k, v)) terms.push(tagHash(k, v));
    if (terms.length > 0) return this.#searchBlocks(terms, f, unit, limit);

    // Nothing indexed to narrow by: newest-first scan of the start-time index.
    const traces = new Set<string>();
    const stmt = this.#stmt(
      `SELECT ${COLS} FROM spans s INDEXED BY spans_start WHERE ${where.length > 0 ? where.join(' AND ') : '1'} ORDER BY s.start_ns DESC, s.span_id`,
    ).safeIntegers(true);
    for (const r of stmt.iterate(...params)) {
      const before = out.length;
      accept(r as SpanRow);
      if (out.length > before) traces.add(out[out.length - 1].traceId);
      if (unit === 'spans' ? out.length >= limit : traces.size >= limit) break;
    }
    return out;
  }

  /**
   * Walks the search-index blocks overlapping the time range, newest first; in each, intersects
   * the row ids of every term and checks each candidate span. Stops when the next block cannot
   * hold a span newer than the last one needed.
   */
  #searchBlocks(terms: number[], f: SpanFilter, unit: 'traces' | 'spans', limit: number): Span[] {
    const blocks = this.#stmt(
      'SELECT id, max_start, base_rowid FROM blocks WHERE max_start >= ? AND min_start <= ? ORDER BY max_start DESC',
    )
      .safeIntegers(true)
      .all(f.startMinNs ?? MIN_NS, f.startMaxNs ?? MAX_NS) as Array<{
      id: bigint;
      max_start: bigint;
      base_rowid: bigint;
    }>;
    const postingsOf = this.#stmt('SELECT postings FROM blocks WHERE id = ?').pluck();
    const rowById = this.#stmt(`SELECT ${COLS} FROM spans s WHERE s.id = ?`).safeIntegers(true);
    const seen = new Set<number>();
    const matches: Span[] = [];
    /** Start time of the last span needed, once `limit` are found: older candidates cannot enter. */
    let cutoff: bigint | undefined;
    for (let i = 0; i < blocks.length; i++) {
      const blob = postingsOf.get(blocks[i].id) as Buffer | undefined;
      if (blob === undefined) continue;
      const base = Number(blocks[i].base_rowid);
      const lists: number[][] = [];
      for (const term of terms) {
        const list = lookupPostings(blob, base, term);
        lists.push(list);
        if (list.length === 0) break;
      }
      lists.sort((a, b) => a.length - b.length);
      const rows: SpanRow[] = [];
      for (const id of lists[0]) {
        if (seen.has(id)) continue;
        let inAll = true;
        for (let j = 1; j < lists.length && inAll; j++) inAll = sortedHas(lists[j], id);
        if (!inAll) continue;
        seen.add(id);
        const row = rowById.get(id) as SpanRow | undefined;
        if (row !== undefined) rows.push(row);
      }
      // Newest first, decoding only while a candidate can still be among the first `limit`.
      rows.sort(newerRowFirst);
      for (const row of rows) {
        if (cutoff !== undefined && row.start_ns < cutoff) break;
        const s = this.#decodeRow(row);
        if (!matchesFilter(s, f)) continue;
        matches.push(s);
        if (matches.length >= limit) {
          matches.sort(compareNewestFirst);
          cutoff = cutoffStart(matches, unit, limit);
        }
      }
      if (cutoff !== undefined && (i + 1 === blocks.length || blocks[i + 1].max_start < cutoff)) break;
    }
    return matches.sort(compareNewestFirst);
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
    if (this.#closed)
      return Promise.reject(storeError(CollectorErrorCode.StoreClosed, 'the span store is closed'));
    const p = this.#writer
      .retention({
        retention: overrides.retention ?? this.#opts.retention,
        maxDbSizeBytes: overrides.maxDbSizeBytes ?? this.#opts.maxDbSizeBytes,
      })
      .then((r) => {
        // deleted services' ids may be given to new names: forget the reader's mappings
        if (r.deletedServices > 0) {
          this.#serviceNames.clear();
          this.#serviceIds.clear();
        }
        this.#opts.onRetention?.(r);
        return r;
      })
      .finally(() => {
        if (this.#retentionRunning === p) this.#retentionRunning = undefined;
      });
    this.#retentionRunning = p;
    return p;
  }

  // ---- lifecycle ----

  #checkOpen(): void {
    if (this.#closed) throw storeError(CollectorErrorCode.StoreClosed, 'the span store is closed');
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
      CollectorErrorCode.StoreOpen,
      `cannot open SQLite store at ${opts.path}: ${(e as Error).message}`,
      {
        statusCode: 500,
        cause: e,
      },
    );
  }
}
