// A bounded queue on disk (SQLite, WAL): what an exporter accepted stays here until its destination
// acknowledged it, across restarts and kill -9. One row per (destination, payload).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CollectorErrorCode, createError } from '../../errors.js';

/** One payload for one destination. */
export interface QueueEntry {
  /** Destination key (a gateway member, an endpoint name). */
  dest: string;
  /** What the payload is: `traces` (OTLP protobuf) or a control-plane route (`k8s-objects`, `k8s-audit`). */
  kind: string;
  payload: Uint8Array;
  /** Spans or documents in the payload (for metrics). */
  items: number;
}

export interface QueueItem extends QueueEntry {
  id: number;
  attempts: number;
}

export interface PersistentQueueOptions {
  /** SQLite file (directory created); `:memory:` for a queue that does not persist. */
  path: string;
  /** Refuse new entries (429) beyond this many payload bytes (default 1 GiB). */
  maxBytes?: number;
  /** Keep control-plane journal entries this long, ms (default 24 h). */
  journalRetentionMs?: number;
  /** Keep at most this many journal bytes, oldest dropped first (default 256 MiB). */
  journalMaxBytes?: number;
}

/**
 * The queue: `enqueue` commits before it returns (an acknowledged batch survives a crash), `next`
 * reads the oldest rows of a destination, `remove` deletes a delivered one. A journal of broadcast
 * control-plane payloads (bounded by age and size) lets a destination that joins later catch up.
 */
export class PersistentQueue {
  readonly #db: Database.Database;
  readonly #maxBytes: number;
  readonly #journalRetentionMs: number;
  readonly #journalMaxBytes: number;
  #rows = 0;
  #bytes = 0;
  #journalBytes = 0;
  readonly #stmts: {
    insert: Database.Statement;
    next: Database.Statement;
    remove: Database.Statement;
    attempt: Database.Statement;
    journal: Database.Statement;
  };

  constructor(opts: PersistentQueueOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    try {
      this.#db = new Database(opts.path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS queue (
          id INTEGER PRIMARY KEY AUTOINCREMENT, dest TEXT NOT NULL, kind TEXT NOT NULL,
          payload BLOB NOT NULL, items INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS queue_dest ON queue (dest, id);
        CREATE TABLE IF NOT EXISTS journal (
          id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload BLOB NOT NULL,
          items INTEGER NOT NULL, at_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS members (dest TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS timelines (dest TEXT PRIMARY KEY, id TEXT NOT NULL);`);
    } catch (cause) {
      throw createError(CollectorErrorCode.QueueOpen, `cannot open the export queue at ${opts.path}`, {
        cause,
      });
    }
    this.#maxBytes = opts.maxBytes ?? 1024 ** 3;
    this.#journalRetentionMs = opts.journalRetentionMs ?? 86_400_000;
    this.#journalMaxBytes = opts.journalMaxBytes ?? 256 * 1024 ** 2;
    const totals = this.#db
      .prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM queue')
      .get() as { n: number; b: number };
    this.#rows = totals.n;
    this.#bytes = totals.b;
    this.#journalBytes = (
      this.#db.prepare('SELECT coalesce(sum(length(payload)), 0) AS b FROM journal').get() as { b: number }
    ).b;
    this.#stmts = {
      insert: this.#db.prepare('INSERT INTO queue (dest, kind, payload, items) VALUES (?, ?, ?, ?)'),
      next: this.#db.prepare(
        'SELECT id, dest, kind, payload, items, attempts FROM queue WHERE dest = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      remove: this.#db.prepare('DELETE FROM queue WHERE id = ?'),
      attempt: this.#db.prepare('UPDATE queue SET attempts = attempts + 1 WHERE id = ?'),
      journal: this.#db.prepare('INSERT INTO journal (kind, payload, items, at_ms) VALUES (?, ?, ?, ?)'),
    };
  }

  /** Rows and payload bytes waiting. */
  depth(): { rows: number; bytes: number } {
    return { rows: this.#rows, bytes: this.#bytes };
  }

  /** True when no more fits. */
  isFull(): boolean {
    return this.#bytes >= this.#maxBytes;
  }

  /**
   * Commits the entries (one transaction; all or none). Throws `CT_COLLECTOR_QUEUE_FULL` (429)
   * when the queue holds `maxBytes` already, unless it is empty.
   */
  enqueue(
    entries: readonly QueueEntry[],
    journal?: { kind: string; payload: Uint8Array; items: number },
  ): void {
    if (entries.length === 0 && journal === undefined) return;
    let add = 0;
    for (const e of entries) add += e.payload.byteLength;
    if (this.#rows > 0 && this.#bytes + add > this.#maxBytes) {
      throw createError(CollectorErrorCode.QueueFull, 'the export queue is full; retry later', {
        statusCode: 429,
        retryAfterSeconds: 1,
      });
    }
    this.#db.transaction(() => {
      for (const e of entries) this.#stmts.insert.run(e.dest, e.kind, e.payload, e.items);
      if (journal !== undefined)
        this.#stmts.journal.run(journal.kind, journal.payload, journal.items, Date.now());
    })();
    this.#rows += entries.length;
    this.#bytes += add;
    if (journal !== undefined) {
      this.#journalBytes += journal.payload.byteLength;
      if (this.#journalBytes > this.#journalMaxBytes) this.trimJournal();
    }
  }

  /** The oldest rows of `dest` after row id `afterId`. */
  next(dest: string, afterId: number, limit: number): QueueItem[] {
    return (this.#stmts.next.all(dest, afterId, limit) as Array<QueueItem & { payload: Buffer }>).map(
      (r) => ({
        ...r,
      }),
    );
  }

  /** Removes a delivered (or permanently refused) row. */
  remove(item: QueueItem): void {
    if (this.#stmts.remove.run(item.id).changes > 0) {
      this.#rows--;
      this.#bytes -= item.payload.byteLength;
    }
  }

  attempted(item: QueueItem): void {
    this.#stmts.attempt.run(item.id);
  }

  /** Destinations that have rows waiting. */
  destinations(): string[] {
    return (this.#db.prepare('SELECT DISTINCT dest FROM queue').all() as { dest: string }[]).map(
      (r) => r.dest,
    );
  }

  /** Every row of `dest`, for re-routing; replace them with `replace(ids, entries)`. */
  all(dest: string): QueueItem[] {
    return this.#db
      .prepare('SELECT id, dest, kind, payload, items, attempts FROM queue WHERE dest = ? ORDER BY id')
      .all(dest) as QueueItem[];
  }

  /** Deletes `items` and inserts `entries` in one transaction (re-routing keeps everything or nothing). */
  replace(items: readonly QueueItem[], entries: readonly QueueEntry[]): void {
    const del = this.#db.prepare('DELETE FROM queue WHERE id = ?');
    let removedRows = 0;
    let removedBytes = 0;
    this.#db.transaction(() => {
      for (const it of items)
        if (del.run(it.id).changes > 0) {
          removedRows++;
          removedBytes += it.payload.byteLength;
        }
      for (const e of entries) this.#stmts.insert.run(e.dest, e.kind, e.payload, e.items);
    })();
    this.#rows += entries.length - removedRows;
    this.#bytes += entries.reduce((a, e) => a + e.payload.byteLength, 0) - removedBytes;
  }

  /** The journal, oldest first (what a destination that joins now must be sent). */
  journal(): Array<{ kind: string; payload: Buffer; items: number }> {
    this.trimJournal();
    return this.#db.prepare('SELECT kind, payload, items FROM journal ORDER BY id').all() as Array<{
      kind: string;
      payload: Buffer;
      items: number;
    }>;
  }

  /** Drops journal entries past their age, then the oldest beyond the byte bound. */
  trimJournal(nowMs: number = Date.now()): void {
    this.#db.prepare('DELETE FROM journal WHERE at_ms < ?').run(nowMs - this.#journalRetentionMs);
    let bytes = (
      this.#db.prepare('SELECT coalesce(sum(length(payload)), 0) AS b FROM journal').get() as { b: number }
    ).b;
    while (bytes > this.#journalMaxBytes) {
      const oldest = this.#db
        .prepare('SELECT id, length(payload) AS b FROM journal ORDER BY id LIMIT 1')
        .get() as { id: number; b: number } | undefined;
      if (oldest === undefined) break;
      this.#db.prepare('DELETE FROM journal WHERE id = ?').run(oldest.id);
      bytes -= oldest.b;
    }
    this.#journalBytes = bytes;
  }

  /** The destinations recorded by the last `setKnownMembers` (survives restarts). */
  knownMembers(): string[] {
    return (this.#db.prepare('SELECT dest FROM members ORDER BY dest').all() as { dest: string }[]).map(
      (r) => r.dest,
    );
  }

  setKnownMembers(members: readonly string[]): void {
    const ins = this.#db.prepare('INSERT INTO members (dest) VALUES (?)');
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM members').run();
      for (const m of members) ins.run(m);
      this.#db.prepare('DELETE FROM timelines WHERE dest NOT IN (SELECT dest FROM members)').run();
    })();
  }

  /** The control-plane timeline a destination last said it holds (survives restarts). */
  timelineOf(dest: string): string | undefined {
    const row = this.#db.prepare('SELECT id FROM timelines WHERE dest = ?').get(dest) as
      | { id: string }
      | undefined;
    return row?.id;
  }

  /**
   * Records the timeline `dest` holds now; when it held another before, queues the journal for it
   * (in the same transaction) and returns true.
   */
  changeTimeline(dest: string, id: string): boolean {
    return this.#db.transaction(() => {
      const before = this.timelineOf(dest);
      if (before === id) return false;
      this.#db.prepare('INSERT OR REPLACE INTO timelines (dest, id) VALUES (?, ?)').run(dest, id);
      if (before === undefined) return false;
      this.replace(
        [],
        this.journal().map((j) => ({ dest, kind: j.kind, payload: j.payload, items: j.items })),
      );
      return true;
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
