// The single writer of a SQLite span database: schema, dictionaries, batched transactions,
// retention. Runs on the store's thread or inside a worker thread (writer-worker.ts); it only
// sees encoded batches (encode.ts), never Span objects from the pipeline.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { decodeSpan } from './codec.js';
import { type EncodedBatch, pushTagHashes, ROW_STRIDE } from './encode.js';
import { tagHash } from './hash.js';
import { BUCKET_NS, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

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
}

export interface RetentionRequest {
  /** ms; 0 = no age limit */
  retention: number;
  /** bytes; 0 = no size limit */
  maxDbSizeBytes: number;
}

const TAG_ROWS_PER_INSERT = 100;

export function bucketOf(ns: bigint): number {
  return Number(ns >= 0n ? ns / BUCKET_NS : (ns - BUCKET_NS + 1n) / BUCKET_NS);
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
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(SCHEMA_VERSION),
  );
  return db;
}

export class SqliteWriter {
  readonly db: Db;
  readonly #opts: WriterOptions;
  readonly #stmts = new Map<string, Stmt>();
  #services = new Map<string, number>();
  #operations = new Map<string, number>();
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

  #serviceId(name: string): number {
    let id = this.#services.get(name);
    if (id === undefined) {
      this.#stmt('INSERT OR IGNORE INTO services (name) VALUES (?)').run(name);
      id = this.#stmt('SELECT id FROM services WHERE name = ?').pluck().get(name) as number;
      this.#services.set(name, id);
    }
    return id;
  }

  #operationId(serviceId: number, name: string, kind: number): number {
    const key = `${serviceId}\u0000${name}\u0000${kind}`;
    let id = this.#operations.get(key);
    if (id === undefined) {
      this.#stmt('INSERT OR IGNORE INTO operations (service_id, name, kind) VALUES (?, ?, ?)').run(
        serviceId,
        name,
        kind,
      );
      id = this.#stmt('SELECT id FROM operations WHERE service_id = ? AND name = ? AND kind = ?')
        .pluck()
        .get(serviceId, name, kind) as number;
      this.#operations.set(key, id);
    }
    return id;
  }

  #resourceId(body: string, tags: readonly number[]): number {
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
        const ins = this.#stmt('INSERT OR IGNORE INTO resource_tags (kv, resource_id) VALUES (?, ?)');
        for (const kv of tags) ins.run(kv, id);
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
          for (const b of batches) this.#writeBatch(b);
        })
        .immediate();
    } catch (e) {
      this.#services.clear();
      this.#operations.clear();
      this.#resources.clear();
      throw e;
    }
  }

  #writeBatch(b: EncodedBatch): void {
    const insert = this.#stmt(
      `INSERT INTO spans (trace_id, span_id, parent_id, service_id, operation_id, resource_id, layer, kind, start_ns, duration_ns, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trace_id, span_id) DO NOTHING`,
    );
    const resourceIds = b.resources.map((r) => this.#resourceId(r.body, r.tags));
    const tagRows: number[] = [];
    const { rows, tagCounts, tags } = b;
    let t = 0;
    let prevTrace = '';
    let traceBuf: Buffer = Buffer.alloc(0);
    for (let i = 0, r = 0; r < rows.length; i++, r += ROW_STRIDE) {
      const traceHex = rows[r] as string;
      if (traceHex !== prevTrace) {
        traceBuf = Buffer.from(traceHex, 'hex');
        prevTrace = traceHex;
      }
      const spanBuf = Buffer.from(rows[r + 1] as string, 'hex');
      const parent = rows[r + 2] as string;
      const serviceId = this.#serviceId(rows[r + 3] as string);
      const kind = rows[r + 5] as number;
      const operationId = this.#operationId(serviceId, rows[r + 4] as string, kind);
      const start = rows[r + 8] as bigint;
      const values = [
        parent === '' ? null : Buffer.from(parent, 'hex'),
        serviceId,
        operationId,
        resourceIds[rows[r + 6] as number],
        rows[r + 7],
        kind,
        start,
        rows[r + 9],
        rows[r + 10],
      ];
      const info = insert.run(traceBuf, spanBuf, ...values);
      const rowid =
        info.changes === 1 ? Number(info.lastInsertRowid) : this.#replace(traceBuf, spanBuf, values);
      const bucket = bucketOf(start);
      for (let n = tagCounts[i]; n > 0; n--) tagRows.push(bucket, tags[t++], rowid);
    }
    this.#insertTagRows(tagRows);
  }

  /** A re-sent span replaces the stored one in place (same row id); its old tag rows go. */
  #replace(traceId: Buffer, spanId: Buffer, values: unknown[]): number {
    const old = this.#stmt(
      'SELECT id, kind, start_ns, duration_ns, layer, body FROM spans WHERE trace_id = ? AND span_id = ?',
    )
      .safeIntegers(true)
      .get(traceId, spanId) as {
      id: bigint;
      kind: bigint;
      start_ns: bigint;
      duration_ns: bigint;
      layer: string;
      body: string;
    };
    const id = Number(old.id);
    const oldSpan = decodeSpan(old.body, {
      traceId: '',
      spanId: '',
      kind: Number(old.kind),
      startTimeUnixNano: old.start_ns,
      durationNanos: old.duration_ns,
      layer: old.layer,
      serviceName: '',
      resource: { attributes: [], droppedAttributesCount: 0 },
      scope: { name: '', version: '', attributes: [] },
    });
    const hashes: number[] = [];
    pushTagHashes(hashes, oldSpan);
    const bucket = bucketOf(old.start_ns);
    const del = this.#stmt('DELETE FROM span_tags WHERE bucket = ? AND kv = ? AND span_rowid = ?');
    for (const kv of new Set(hashes)) del.run(bucket, kv, id);
    this.#stmt(
      `UPDATE spans SET parent_id = ?, service_id = ?, operation_id = ?, resource_id = ?, layer = ?, kind = ?,
       start_ns = ?, duration_ns = ?, body = ? WHERE id = ?`,
    ).run(...values, id);
    return id;
  }

  #insertTagRows(rows: number[]): void {
    let i = 0;
    const width = TAG_ROWS_PER_INSERT * 3;
    if (rows.length >= width) {
      const many = this.#stmt(
        `INSERT OR IGNORE INTO span_tags (bucket, kv, span_rowid) VALUES ${Array(TAG_ROWS_PER_INSERT).fill('(?, ?, ?)').join(', ')}`,
      );
      for (; i + width <= rows.length; i += width) many.run(rows.slice(i, i + width));
    }
    const one = this.#stmt('INSERT OR IGNORE INTO span_tags (bucket, kv, span_rowid) VALUES (?, ?, ?)');
    for (; i < rows.length; i += 3) one.run(rows[i], rows[i + 1], rows[i + 2]);
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
    const result: RetentionResult = { deletedSpans: 0, deletedTagRows: 0, freedPages: 0 };
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
    if (result.deletedSpans > 0 || result.deletedTagRows > 0 || this.#freelist() > 0) {
      result.freedPages += await this.#vacuum(pause);
    }
    return result;
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

  /** Tag rows in buckets older than the oldest stored span (whole buckets, in chunks). */
  async #deleteStaleTags(pause: () => Promise<void>): Promise<number> {
    let deleted = 0;
    const chunk = this.#opts.retentionBatchSize * 10;
    for (;;) {
      if (this.#closed) return deleted;
      const lo = this.#stmt('SELECT MIN(start_ns) FROM spans').safeIntegers(true).pluck().get() as
        | bigint
        | null;
      const firstLiveBucket = lo === null ? Number.MAX_SAFE_INTEGER : bucketOf(lo);
      const n = this.#stmt(
        `DELETE FROM span_tags WHERE (bucket, kv, span_rowid) IN
         (SELECT bucket, kv, span_rowid FROM span_tags WHERE bucket < ? LIMIT ?)`,
      ).run(firstLiveBucket, chunk).changes;
      deleted += n;
      if (n < chunk) return deleted;
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
