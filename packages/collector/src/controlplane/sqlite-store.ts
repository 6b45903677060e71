import Database from 'better-sqlite3';
import { CollectorErrorCode, createError } from '../errors.js';
import type { Observation, ObservationType } from './k8s-types.js';
import { observationRef, retentionTimeOf } from './observation-row.js';
import type {
  ControlPlaneChanges,
  ControlPlaneStore,
  ControlPlaneWrite,
  DiagnosisSet,
  ObservationRow,
  StoredDiagnosis,
} from './store.js';
import { noChanges } from './store.js';
import { NANOS_PER_MS } from './time.js';

/**
 * The control-plane backend in a SQLite file (may be the span store's file: the tables are
 * prefixed `ct_cp_`). One process writes it, so there is nothing to tail; writes are synchronous
 * transactions (the promise settles after COMMIT).
 */
export class SqliteControlPlaneStore implements ControlPlaneStore {
  readonly backend = 'sqlite';
  readonly shared = false;
  readonly #db: Database.Database;
  readonly #insertObs: Database.Statement;
  readonly #insertRemap: Database.Statement;
  readonly #deleteDiagnoses: Database.Statement;
  readonly #insertDiagnosis: Database.Statement;
  readonly #auditRows: Database.Statement;

  /** @param path - the SQLite file */
  constructor(path: string) {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      createTables(db);
    } catch (cause) {
      throw createError(CollectorErrorCode.ControlPlaneOpen, `cannot open control-plane state at ${path}`, {
        cause,
      });
    }
    this.#db = db;
    this.#insertObs = db.prepare(
      'INSERT OR IGNORE INTO ct_cp_observations (id, type, arrival_ns, body, kind, obj_key, at_ns) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#insertRemap = db.prepare('INSERT OR REPLACE INTO ct_cp_trace_remap VALUES (?, ?, ?)');
    this.#deleteDiagnoses = db.prepare('DELETE FROM ct_cp_diagnoses WHERE trace_id = ? AND span_id = ?');
    this.#insertDiagnosis = db.prepare('INSERT OR REPLACE INTO ct_cp_diagnoses VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#auditRows = db.prepare(
      "SELECT id, type, arrival_ns, body, at_ns FROM ct_cp_observations WHERE kind = 'audit' AND obj_key = ? ORDER BY rowid",
    );
  }

  /** {@link load}, synchronously (the state's synchronous factory opens SQLite with it). */
  loadSync(beforeNanos?: bigint): ControlPlaneChanges {
    const db = this.#db;
    if (beforeNanos !== undefined) {
      db.prepare('DELETE FROM ct_cp_diagnoses WHERE time_ns < ?').run(beforeNanos);
      db.prepare('DELETE FROM ct_cp_trace_remap WHERE at_ns < ?').run(beforeNanos);
    }
    // rows from before observations carried their object and time: labelled once
    const unlabelled = db
      .prepare(
        'SELECT id, type, arrival_ns, body FROM ct_cp_observations WHERE kind IS NULL OR at_ns IS NULL',
      )
      .all() as (RawObservation & { id: string })[];
    if (unlabelled.length > 0) {
      const label = db.prepare('UPDATE ct_cp_observations SET kind = ?, obj_key = ?, at_ns = ? WHERE id = ?');
      db.transaction(() => {
        for (const r of unlabelled) {
          const o = rowObservation(r);
          const ref = observationRef(o);
          label.run(ref.kind, ref.key, retentionTimeOf(o) ?? null, r.id);
        }
      })();
    }
    if (beforeNanos !== undefined)
      db.prepare("DELETE FROM ct_cp_observations WHERE kind = 'audit' AND at_ns < ?").run(beforeNanos);
    const out = noChanges(0n);
    for (const r of db
      .prepare("SELECT type, arrival_ns, body FROM ct_cp_observations WHERE kind != 'audit' ORDER BY rowid")
      .iterate() as Iterable<RawObservation>)
      out.observations.push(rowObservation(r));
    const sets = new Map<string, DiagnosisSet>();
    for (const r of db
      .prepare('SELECT * FROM ct_cp_diagnoses ORDER BY rowid')
      .safeIntegers(true)
      .all() as Record<string, string | bigint>[]) {
      const d: StoredDiagnosis = {
        traceId: String(r.trace_id),
        spanId: String(r.span_id),
        code: String(r.code),
        message: String(r.message),
        evidence: JSON.parse(String(r.evidence)),
        timeNanos: BigInt(r.time_ns),
        service: String(r.service),
      };
      const key = `${d.traceId}|${d.spanId}`;
      const set = sets.get(key) ?? { traceId: d.traceId, spanId: d.spanId, diagnoses: [] };
      sets.set(key, set);
      set.diagnoses.push(d);
    }
    out.diagnoses = [...sets.values()];
    for (const r of db
      .prepare('SELECT from_trace, to_trace, at_ns FROM ct_cp_trace_remap')
      .safeIntegers(true)
      .all() as { from_trace: string; to_trace: string; at_ns: bigint }[])
      out.remaps.push({ from: r.from_trace, to: r.to_trace, atNanos: r.at_ns });
    return out;
  }

  async load(beforeNanos?: bigint): Promise<ControlPlaneChanges> {
    return this.loadSync(beforeNanos);
  }

  async write(batch: readonly ControlPlaneWrite[]): Promise<void> {
    this.#db.transaction(() => {
      for (const w of batch) this.#apply(w);
    })();
  }

  #apply(w: ControlPlaneWrite): void {
    if (w.op === 'observations') {
      for (const r of w.rows)
        this.#insertObs.run(
          r.id,
          r.observation.type,
          r.observation.arrivalNanos === undefined ? null : String(r.observation.arrivalNanos),
          JSON.stringify(r.observation.object),
          r.kind,
          r.objectKey,
          r.atNanos ?? null,
        );
    } else if (w.op === 'diagnoses') {
      for (const s of w.sets) {
        this.#deleteDiagnoses.run(s.traceId, s.spanId);
        for (const d of s.diagnoses)
          this.#insertDiagnosis.run(
            d.traceId,
            d.spanId,
            d.code,
            d.message,
            JSON.stringify(d.evidence),
            d.timeNanos,
            d.service,
          );
      }
    } else if (w.op === 'remaps') {
      for (const r of w.rows) this.#insertRemap.run(r.from, r.to, r.atNanos);
    } else {
      const db = this.#db;
      const { beforeNanos, objects, observationIds } = w.request;
      const byRef = db.prepare('DELETE FROM ct_cp_observations WHERE kind = ? AND obj_key = ?');
      const byId = db.prepare('DELETE FROM ct_cp_observations WHERE id = ?');
      for (const o of objects) byRef.run(o.kind, o.key);
      for (const id of observationIds) byId.run(id);
      db.prepare("DELETE FROM ct_cp_observations WHERE kind = 'audit' AND at_ns < ?").run(beforeNanos);
      db.prepare('DELETE FROM ct_cp_diagnoses WHERE time_ns < ?').run(beforeNanos);
      db.prepare('DELETE FROM ct_cp_trace_remap WHERE at_ns < ?').run(beforeNanos);
    }
  }

  async changesSince(cursor: bigint): Promise<ControlPlaneChanges> {
    return noChanges(cursor);
  }

  async auditRows(auditIds: readonly string[]): Promise<ObservationRow[]> {
    return auditIds.flatMap((auditId) =>
      (this.#auditRows.all(auditId) as (RawObservation & { id: string; at_ns: number | null })[]).map(
        (r): ObservationRow => ({
          id: r.id,
          observation: rowObservation(r),
          kind: 'audit',
          objectKey: auditId,
          atNanos: r.at_ns === null ? undefined : BigInt(r.at_ns),
        }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

interface RawObservation {
  type: string;
  arrival_ns: string | null;
  body: string;
}

function rowObservation(r: RawObservation): Observation {
  const o: Observation = { type: r.type as ObservationType, object: JSON.parse(r.body) };
  if (r.arrival_ns !== null) o.arrivalNanos = BigInt(r.arrival_ns);
  return o;
}

/** The state's tables; columns added since the first release are added to older files. */
function createTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ct_cp_observations (
      id TEXT PRIMARY KEY, type TEXT NOT NULL, arrival_ns TEXT, body TEXT NOT NULL, kind TEXT, obj_key TEXT,
      at_ns INTEGER);
    CREATE TABLE IF NOT EXISTS ct_cp_diagnoses (
      trace_id TEXT NOT NULL, span_id TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
      evidence TEXT NOT NULL, time_ns INTEGER NOT NULL, service TEXT NOT NULL,
      PRIMARY KEY (trace_id, span_id, code));
    CREATE INDEX IF NOT EXISTS ct_cp_diagnoses_time ON ct_cp_diagnoses (time_ns);
    CREATE TABLE IF NOT EXISTS ct_cp_trace_remap (
      from_trace TEXT PRIMARY KEY, to_trace TEXT NOT NULL, at_ns INTEGER NOT NULL DEFAULT 0);`);
  const columns = (table: string) =>
    new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  const obs = columns('ct_cp_observations');
  if (!obs.has('kind')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN kind TEXT');
  if (!obs.has('obj_key')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN obj_key TEXT');
  if (!obs.has('at_ns')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN at_ns INTEGER');
  if (!columns('ct_cp_trace_remap').has('at_ns')) {
    // remaps from before they were dated count from now: they age out one retention period later
    db.exec('ALTER TABLE ct_cp_trace_remap ADD COLUMN at_ns INTEGER NOT NULL DEFAULT 0');
    db.prepare('UPDATE ct_cp_trace_remap SET at_ns = ?').run(BigInt(Date.now()) * NANOS_PER_MS);
  }
  db.exec(`
    CREATE INDEX IF NOT EXISTS ct_cp_observations_object ON ct_cp_observations (kind, obj_key);
    CREATE INDEX IF NOT EXISTS ct_cp_observations_time ON ct_cp_observations (kind, at_ns);
    CREATE INDEX IF NOT EXISTS ct_cp_trace_remap_time ON ct_cp_trace_remap (at_ns);`);
}
