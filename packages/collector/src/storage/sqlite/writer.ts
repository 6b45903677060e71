// The single writer of a SQLite span database: schema, dictionaries, batched transactions,
// retention. Runs on the store's thread or inside a worker thread (writer-worker.ts); it only
// sees encoded batches (encode.ts), never Span objects from the pipeline.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type EncodedBatch, layerTerm, NUM_STRIDE, operationTerm, serviceTerm } from './encode.js';
import { tagHash } from './hash.js';
import { forEachPosting, PostingsBuilder, postingsEntries } from './postings.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

type Db = Database.Database;
type Stmt = Database.Statement;

export interface WriterOptions {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  cacheSizeMiB: number;
  retentionBatchSize: number;
}

export interface RetentionResult {
  deletedSpans: number;
  deletedTagRows: number;
  /** Pages returned to the file system by incremental vacuum. */
  freedPages: number;
  /** Services and operations left without spans, deleted from the lists. */
  deletedServices: number;
  deletedOperations: number;
  /** Start of the oldest span still stored (ns); undefined when none is. */
  oldestStartNanos?: bigint;
}

export interface RetentionRequest {
  /** ms; 0 = no age limit */
  retention: number;
  /** bytes; 0 = no size limit */
  maxDbSizeBytes: number;
}

interface OperationEntry {
  /** operations row id by OTLP kind */
  ids: number[];
  term: number;
  /** the latest span start written with it (per kind), as last_ns holds it */
  lastNs: (bigint | undefined)[];
}

interface ServiceEntry {
  id: number;
  term: number;
  operations: Map<string, OperationEntry>;
}

/**
 * A transaction whose previous block holds fewer spans than this merges that block into its own,
 * so that small writes (single re-written spans, a quiet collector) do not leave one tiny block
 * each for searches to read.
 */
const MERGE_BELOW_SPANS = 256;

/** Per transaction: the postings and the time range of the spans written. */
interface BlockState {
  postings: PostingsBuilder;
  spans: number;
  minStart: bigint;
  maxStart: bigint;
  /** operations row id → latest span start written with it in this transaction */
  opLast: Map<number, { op: OperationEntry; kind: number; at: bigint }>;
}

/** Opens (creating) the database with the store's pragmas and schema. */
export function openDatabase(opts: Pick<WriterOptions, 'path' | 'synchronous' | 'cacheSizeMiB'>): Db {
  if (opts.path !== ':memory:' && opts.path !== '') mkdirSync(dirname(opts.path), { recursive: true });
  // Another connection may write the same file (the control-plane state): wait for its lock.
  const db = new Database(opts.path, { timeout: 10_000 });
  // auto_vacuum must be set before the first table exists; it is a no-op on an existing file.
  db.pragma('auto_vacuum = INCREMENTAL');
  if (db.pragma('auto_vacuum', { simple: true }) !== 2 && opts.path !== ':memory:') {
    // The file was created by someone else (another component sharing it) without incremental
    // auto-vacuum; switching needs a VACUUM, affordable while the file is small.
    const pages = db.pragma('page_count', { simple: true }) as number;
    try {
      if (pages < 25_000) db.exec('VACUUM');
    } catch {
      // Busy: keep going without; retention still deletes, the file just does not shrink.
    }
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous}`);
  db.pragma(`cache_size = -${opts.cacheSizeMiB * 1024}`);
  db.pragma('temp_store = MEMORY');
  // Checkpoint every ~40 MiB of WAL instead of 4 MiB: random index pages rewritten by successive
  // commits are copied (and the database file synced) once per checkpoint, not once per commit.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  db.exec(SCHEMA_SQL);
  addOperationTimes(db);
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(SCHEMA_VERSION),
  );
  return db;
}

/**
 * Files made before operations carried `last_ns`: add it, filled from the spans in one pass, so
 * that the services and operations lists follow retention from now on.
 */
function addOperationTimes(db: Db): void {
  const cols = db.prepare('PRAGMA table_info(operations)').all() as { name: string }[];
  if (cols.some((c) => c.name === 'last_ns')) return;
  db.transaction(() => {
    db.exec('ALTER TABLE operations ADD COLUMN last_ns INTEGER NOT NULL DEFAULT 0');
    db.exec(`UPDATE operations SET last_ns = coalesce(
      (SELECT m FROM (SELECT operation_id AS o, MAX(start_ns) AS m FROM spans GROUP BY operation_id) WHERE o = operations.id), 0)`);
  }).immediate();
}

export class SqliteWriter {
  readonly db: Db;
  readonly #opts: WriterOptions;
  readonly #stmts = new Map<string, Stmt>();
  readonly #services = new Map<string, ServiceEntry>();
  readonly #layerTerms = new Map<string, number>();
  #resources = new Map<string, number>();
  #closed = false;

  constructor(opts: WriterOptions, db?: Db) {
    this.#opts = opts;
    this.db = db ?? openDatabase(opts);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #stmt(sql: string): Stmt {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** A service's dictionary entry (row id, search term, its operations), created on first use. */
  #service(name: string): ServiceEntry {
    let e = this.#services.get(name);
    if (e === undefined) {
      this.#stmt('INSERT OR IGNORE INTO services (name) VALUES (?)').run(name);
      const id = this.#stmt('SELECT id FROM services WHERE name = ?').pluck().get(name) as number;
      e = { id, term: serviceTerm(name), operations: new Map() };
      this.#services.set(name, e);
    }
    return e;
  }

  /** An operation's entry (row ids by kind, search term) of a service, created on first use. */
  #operation(service: ServiceEntry, name: string): OperationEntry {
    let e = service.operations.get(name);
    if (e === undefined) {
      e = { ids: [], term: operationTerm(name), lastNs: [] };
      service.operations.set(name, e);
    }
    return e;
  }

  #operationId(service: ServiceEntry, op: OperationEntry, name: string, kind: number): number {
    let id = op.ids[kind];
    if (id === undefined) {
      this.#stmt('INSERT OR IGNORE INTO operations (service_id, name, kind) VALUES (?, ?, ?)').run(
        service.id,
        name,
        kind,
      );
      id = this.#stmt('SELECT id FROM operations WHERE service_id = ? AND name = ? AND kind = ?')
        .pluck()
        .get(service.id, name, kind) as number;
      op.ids[kind] = id;
    }
    return id;
  }

  #layerTerm(layer: string): number {
    let h = this.#layerTerms.get(layer);
    if (h === undefined) {
      h = layerTerm(layer);
      if (this.#layerTerms.size > 1000) this.#layerTerms.clear();
      this.#layerTerms.set(layer, h);
    }
    return h;
  }

  #resourceId(body: string): number {
    let id = this.#resources.get(body);
    if (id === undefined) {
      const hash = tagHash('', body);
      for (const r of this.#stmt('SELECT id, body FROM resources WHERE hash = ?').all(hash) as Array<{
        id: number;
        body: string;
      }>) {
        if (r.body === body) id = r.id;
      }
      if (id === undefined) {
        id = Number(
          this.#stmt('INSERT INTO resources (hash, body) VALUES (?, ?)').run(hash, body).lastInsertRowid,
        );
      }
      if (this.#resources.size > 100_000) this.#resources.clear();
      this.#resources.set(body, id);
    }
    return id;
  }

  /**
   * Writes the batches in one transaction (all or nothing). On failure the dictionaries are
   * forgotten (ids of a rolled-back transaction do not exist) and the error is thrown.
   */
  write(batches: readonly EncodedBatch[]): void {
    try {
      // IMMEDIATE: take the write lock up front (waiting up to the busy timeout), so another
      // connection writing the same file (the control-plane state) cannot make this transaction
      // fail half-way with SQLITE_BUSY_SNAPSHOT.
      this.db
        .transaction(() => {
          const block: BlockState = {
            postings: new PostingsBuilder(),
            spans: 0,
            minStart: 0n,
            maxStart: 0n,
            opLast: new Map(),
          };
          const merged = this.#mergeSmallBlock(block);
          for (const b of batches) this.#writeBatch(b, block);
          this.#touchOperations(block);
          if (block.spans > 0) {
            if (merged !== undefined) this.#stmt('DELETE FROM blocks WHERE id = ?').run(merged);
            const { blob, base } = block.postings.build();
            this.#stmt(
              'INSERT INTO blocks (min_start, max_start, base_rowid, spans, postings) VALUES (?, ?, ?, ?, ?)',
            ).run(block.minStart, block.maxStart, base, block.spans, blob);
          }
        })
        .immediate();
    } catch (e) {
      this.#services.clear();
      this.#resources.clear();
      throw e;
    }
  }

  /** Raises operations' last_ns to the spans of the transaction (only where it moved). */
  #touchOperations(block: BlockState): void {
    const update = this.#stmt('UPDATE operations SET last_ns = ? WHERE id = ? AND last_ns < ?');
    for (const [id, e] of block.opLast) {
      const known = e.op.lastNs[e.kind];
      if (known !== undefined && known >= e.at) continue;
      update.run(e.at, id, e.at);
      e.op.lastNs[e.kind] = e.at;
    }
  }

  /** Loads the newest block into `block` when it is small; returns its id (to delete) or undefined. */
  #mergeSmallBlock(block: BlockState): bigint | undefined {
    const last = this.#stmt('SELECT id, min_start, max_start, spans FROM blocks ORDER BY id DESC LIMIT 1')
      .safeIntegers(true)
      .get() as { id: bigint; min_start: bigint; max_start: bigint; spans: bigint } | undefined;
    if (last === undefined || last.spans >= BigInt(MERGE_BELOW_SPANS)) return undefined;
    const row = this.#stmt('SELECT base_rowid, postings FROM blocks WHERE id = ?').get(last.id) as {
      base_rowid: number;
      postings: Buffer;
    };
    forEachPosting(row.postings, row.base_rowid, (term, rowid) => block.postings.add(term, rowid));
    block.spans = Number(last.spans);
    block.minStart = last.min_start;
    block.maxStart = last.max_start;
    return last.id;
  }

  #writeBatch(b: EncodedBatch, block: BlockState): void {
    const insert = this.#stmt(
      `INSERT INTO spans (trace_id, span_id, parent_id, service_id, operation_id, resource_id, layer, kind, start_ns, duration_ns, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trace_id, span_id) DO NOTHING`,
    );
    const resourceIds = b.resources.map((r) => this.#resourceId(r.body));
    const postings = block.postings;
    const { count, idEnds, hasParent, nums, times, strings, bodies, tags } = b;
    // a Uint8Array after the transfer: Buffer views bind as blobs
    const ids = Buffer.from(b.ids.buffer, b.ids.byteOffset, b.ids.byteLength);
    const services = new Map<number, ServiceEntry>();
    const layerTerms = new Map<number, number>();
    let t = 0;
    let from = 0;
    for (let i = 0, r = 0; i < count; i++, r += NUM_STRIDE) {
      const traceEnd = idEnds[3 * i];
      const spanEnd = idEnds[3 * i + 1];
      const parentEnd = idEnds[3 * i + 2];
      const traceBuf = ids.subarray(from, traceEnd);
      const spanBuf = ids.subarray(traceEnd, spanEnd);
      const parentBuf = hasParent[i] === 1 ? ids.subarray(spanEnd, parentEnd) : null;
      from = parentEnd;
      const serviceIndex = nums[r + 2];
      let svc = services.get(serviceIndex);
      if (svc === undefined) {
        svc = this.#service(strings[serviceIndex]);
        services.set(serviceIndex, svc);
      }
      const serviceId = svc.id;
      const kind = nums[r];
      const name = strings[nums[r + 3]];
      const op = this.#operation(svc, name);
      const operationId = this.#operationId(svc, op, name, kind);
      const last = block.opLast.get(operationId);
      if (last === undefined) block.opLast.set(operationId, { op, kind, at: times[2 * i] });
      else if (times[2 * i] > last.at) last.at = times[2 * i];
      const ri = nums[r + 1];
      const layerIndex = nums[r + 4];
      const layer = strings[layerIndex];
      let layerTerm = layerTerms.get(layerIndex);
      if (layerTerm === undefined) {
        layerTerm = this.#layerTerm(layer);
        layerTerms.set(layerIndex, layerTerm);
      }
      const start = times[2 * i];
      const resourceId = resourceIds[ri];
      const duration = times[2 * i + 1];
      const body = bodies[i];
      const info = insert.run(
        traceBuf,
        spanBuf,
        parentBuf,
        serviceId,
        operationId,
        resourceId,
        layer,
        kind,
        start,
        duration,
        body,
      );
      const rowid =
        info.changes === 1
          ? Number(info.lastInsertRowid)
          : this.#replace(traceBuf, spanBuf, [
              parentBuf,
              serviceId,
              operationId,
              resourceId,
              layer,
              kind,
              start,
              duration,
              body,
            ]);
      if (block.spans === 0 || start < block.minStart) block.minStart = start;
      if (block.spans === 0 || start > block.maxStart) block.maxStart = start;
      block.spans++;
      postings.add(svc.term, rowid);
      postings.add(op.term, rowid);
      postings.add(layerTerm, rowid);
      for (let n = nums[r + 5]; n > 0; n--) postings.add(tags[t++], rowid);
      for (const kv of b.resources[ri].tags) postings.add(kv, rowid);
    }
  }

  /**
   * A re-sent span replaces the stored one in place (same row id). Its entries in older blocks
   * stay: a search checks every candidate against the stored span, so they only cost a lookup.
   */
  #replace(traceId: Buffer, spanId: Buffer, values: unknown[]): number {
    const id = this.#stmt(
      `UPDATE spans SET parent_id = ?, service_id = ?, operation_id = ?, resource_id = ?, layer = ?, kind = ?,
       start_ns = ?, duration_ns = ?, body = ? WHERE trace_id = ? AND span_id = ? RETURNING id`,
    )
      .pluck()
      .get(...values, traceId, spanId) as number;
    return Number(id);
  }

  /**
   * Deletes the spans of a trace (hex ids; all of them when `spanIds` is undefined) in one
   * transaction; returns how many rows went. The search-index blocks keep their entries for the
   * deleted row ids: every search candidate is re-read by row id (a deleted row is gone) and
   * checked against the query (a row id SQLite reuses for a later span is checked as that span).
   */
  deleteSpans(traceId: string, spanIds: readonly string[] | undefined): number {
    const trace = Buffer.from(traceId, 'hex');
    return this.db
      .transaction(() => {
        if (spanIds === undefined)
          return this.#stmt('DELETE FROM spans WHERE trace_id = ?').run(trace).changes;
        const del = this.#stmt('DELETE FROM spans WHERE trace_id = ? AND span_id = ?');
        let n = 0;
        for (const id of spanIds) n += del.run(trace, Buffer.from(id, 'hex')).changes;
        return n;
      })
      .immediate();
  }

  // ---- retention ----

  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pageCount - free) * pageSize;
  }

  /**
   * Spans older than `retention`, then the oldest spans while over `maxDbSizeBytes`, then
   * incremental vacuum and a truncating checkpoint, in small transactions; `pause` between steps
   * lets writes in.
   */
  async retention(req: RetentionRequest, pause: () => Promise<void>): Promise<RetentionResult> {
    const result: RetentionResult = {
      deletedSpans: 0,
      deletedTagRows: 0,
      freedPages: 0,
      deletedServices: 0,
      deletedOperations: 0,
    };
    const batch = this.#opts.retentionBatchSize;
    if (req.retention > 0) {
      const cutoff = (BigInt(Date.now()) - BigInt(Math.trunc(req.retention))) * 1_000_000n;
      for (;;) {
        if (this.#closed) return result;
        const n = this.#deleteOldest(batch, cutoff);
        result.deletedSpans += n;
        if (n < batch) break;
        await pause();
      }
    }
    if (req.maxDbSizeBytes > 0) {
      for (;;) {
        if (this.#closed || this.usedBytes() <= req.maxDbSizeBytes) break;
        const n = this.#deleteOldest(batch, undefined);
        result.deletedSpans += n;
        if (n === 0) break;
        result.deletedTagRows += await this.#deleteStaleTags(pause);
        await pause();
      }
    }
    result.deletedTagRows += await this.#deleteStaleTags(pause);
    if (this.#closed) return result;
    const oldest = this.#stmt('SELECT MIN(start_ns) FROM spans').safeIntegers(true).pluck().get() as
      | bigint
      | null;
    if (oldest !== null) result.oldestStartNanos = oldest;
    if (result.deletedSpans > 0) this.#deleteUnusedNames(oldest, result);
    if (result.deletedSpans > 0 || result.deletedTagRows > 0 || this.#freelist() > 0) {
      result.freedPages += await this.#vacuum(pause);
    }
    return result;
  }

  /**
   * Operations whose latest span is older than the oldest stored span have none left; services
   * without operations neither: both leave the lists (and this writer's dictionaries).
   */
  #deleteUnusedNames(oldest: bigint | null, result: RetentionResult): void {
    this.db
      .transaction(() => {
        result.deletedOperations +=
          oldest === null
            ? this.#stmt('DELETE FROM operations').run().changes
            : this.#stmt('DELETE FROM operations WHERE last_ns < ?').run(oldest).changes;
        result.deletedServices += this.#stmt(
          'DELETE FROM services WHERE id NOT IN (SELECT service_id FROM operations)',
        ).run().changes;
      })
      .immediate();
    if (result.deletedOperations > 0 || result.deletedServices > 0) this.#services.clear();
  }

  #freelist(): number {
    return this.db.pragma('freelist_count', { simple: true }) as number;
  }

  #deleteOldest(n: number, cutoff: bigint | undefined): number {
    if (this.#closed) return 0;
    return cutoff === undefined
      ? this.#stmt(
          'DELETE FROM spans WHERE id IN (SELECT id FROM spans INDEXED BY spans_start ORDER BY start_ns LIMIT ?)',
        ).run(n).changes
      : this.#stmt(
          'DELETE FROM spans WHERE id IN (SELECT id FROM spans INDEXED BY spans_start WHERE start_ns < ? ORDER BY start_ns LIMIT ?)',
        ).run(cutoff, n).changes;
  }

  /**
   * Search-index blocks whose spans are all older than the oldest stored span (in chunks);
   * returns the number of postings entries deleted with them.
   */
  async #deleteStaleTags(pause: () => Promise<void>): Promise<number> {
    let deleted = 0;
    const chunk = Math.max(1, Math.ceil(this.#opts.retentionBatchSize / 100));
    for (;;) {
      if (this.#closed) return deleted;
      const lo = this.#stmt('SELECT MIN(start_ns) FROM spans').safeIntegers(true).pluck().get() as
        | bigint
        | null;
      const blocks = (
        lo === null
          ? this.#stmt('SELECT id, postings FROM blocks LIMIT ?').all(chunk)
          : this.#stmt('SELECT id, postings FROM blocks WHERE max_start < ? LIMIT ?').all(lo, chunk)
      ) as Array<{ id: number; postings: Buffer }>;
      const del = this.#stmt('DELETE FROM blocks WHERE id = ?');
      for (const b of blocks) {
        deleted += postingsEntries(b.postings);
        del.run(b.id);
      }
      if (blocks.length < chunk) return deleted;
      await pause();
    }
  }

  /** Incremental vacuum in steps of 256 pages, then a truncating checkpoint. */
  async #vacuum(pause: () => Promise<void>): Promise<number> {
    let freed = 0;
    for (;;) {
      if (this.#closed) return freed;
      const before = this.#freelist();
      if (before === 0) break;
      this.db.pragma('incremental_vacuum(256)');
      const after = this.#freelist();
      freed += before - after;
      if (after >= before) break;
      await pause();
    }
    if (!this.#closed && this.#opts.path !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    return freed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#opts.path !== ':memory:') {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // A reader still open elsewhere: the checkpoint happens on the next open.
      }
    }
    this.db.close();
  }
}
