import pg from 'pg';
import type { Observation, ObservationType } from '../../controlplane/k8s-types.js';
import type {
  ControlPlaneChanges,
  ControlPlaneStore,
  ControlPlaneWrite,
  DiagnosisSet,
  ExpireRequest,
  ObservationRow,
  RemapRow,
  StoredDiagnosis,
} from '../../controlplane/store.js';
import { noChanges } from '../../controlplane/store.js';
import { CollectorErrorCode, createError } from '../../errors.js';
import {
  controlPlaneSchemaStatements,
  LOCK_CONTROL_PLANE,
  LOCK_DDL,
  NOTIFY_CONTROL_PLANE,
} from './schema.js';

export interface PostgresControlPlaneStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=…` */
  url: string;
  /** Connections (default 3). */
  poolSize?: number;
  /** Most rows per INSERT statement (default 2 000). */
  maxRowsPerStatement?: number;
}

interface ObservationDbRow {
  seq: string;
  id: string;
  kind: string;
  obj_key: string;
  type: string;
  arrival_ns: string | null;
  at_ns: string | null;
  body: string;
}

/**
 * The control-plane backend on PostgreSQL, shared by every collector on the database: observations
 * (`ct_cp_observations`), diagnoses (`ct_cp_diagnoses`, one row per diagnosed span) and trace
 * remaps (`ct_cp_trace_remap`), each row stamped with a number of one sequence. Writes take one
 * transaction-scoped advisory lock, so rows become visible in the order of their numbers and a
 * reader that has seen number N has seen every row before it: `changesSince(N)` is exact. Each
 * commit notifies `ct_cp_changes` (LISTEN), the wake-up of the other collectors' tails.
 */
export class PostgresControlPlaneStore implements ControlPlaneStore {
  readonly backend = 'postgres';
  readonly shared = true;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #maxRows: number;
  #listener: pg.Client | undefined;
  readonly #wakers = new Set<() => void>();
  #closed = false;

  private constructor(url: string, pool: pg.Pool, maxRows: number) {
    this.#url = url;
    this.#pool = pool;
    this.#maxRows = maxRows;
  }

  /** Opens the pool and creates the tables if needed. */
  static async open(opts: PostgresControlPlaneStoreOptions): Promise<PostgresControlPlaneStore> {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 3 });
    pool.on('error', () => {});
    try {
      await transaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_DDL]);
        for (const sql of controlPlaneSchemaStatements()) await c.query(sql);
      });
    } catch (cause) {
      await pool.end().catch(() => {});
      throw createError(
        CollectorErrorCode.ControlPlaneOpen,
        `cannot open the control-plane state on PostgreSQL: ${(cause as Error).message}`,
        { cause },
      );
    }
    return new PostgresControlPlaneStore(opts.url, pool, opts.maxRowsPerStatement ?? 2000);
  }

  async load(beforeNanos?: bigint): Promise<ControlPlaneChanges> {
    if (beforeNanos !== undefined)
      await this.write([{ op: 'expire', request: { beforeNanos, objects: [], observationIds: [] } }]);
    return this.#read(undefined);
  }

  changesSince(cursor: bigint): Promise<ControlPlaneChanges> {
    return this.#read(cursor);
  }

  /** Everything (but audit events) when `cursor` is undefined, else what came after it. */
  async #read(cursor: bigint | undefined): Promise<ControlPlaneChanges> {
    const client = await this.#pool.connect();
    try {
      // one snapshot for the three tables and the cursor
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const after = String(cursor ?? -1n);
      const obs = await client.query<ObservationDbRow>(
        `SELECT seq, id, kind, obj_key, type, arrival_ns, at_ns, body FROM ct_cp_observations
          WHERE seq > $1 ${cursor === undefined ? "AND kind <> 'audit'" : ''} ORDER BY seq`,
        [after],
      );
      const diag = await client.query<{ seq: string; trace_id: string; span_id: string; body: string }>(
        'SELECT seq, trace_id, span_id, body FROM ct_cp_diagnoses WHERE seq > $1 ORDER BY seq',
        [after],
      );
      const remaps = await client.query<{ seq: string; from_trace: string; to_trace: string; at_ns: string }>(
        'SELECT seq, from_trace, to_trace, at_ns FROM ct_cp_trace_remap WHERE seq > $1 ORDER BY seq',
        [after],
      );
      const top = await client.query<{ n: string | null }>(
        `SELECT GREATEST((SELECT max(seq) FROM ct_cp_observations), (SELECT max(seq) FROM ct_cp_diagnoses),
                         (SELECT max(seq) FROM ct_cp_trace_remap)) AS n`,
      );
      await client.query('COMMIT');
      const last = top.rows[0]?.n;
      const out = noChanges(last === null || last === undefined ? (cursor ?? 0n) : BigInt(last));
      if (cursor !== undefined && out.cursor < cursor) out.cursor = cursor;
      for (const r of obs.rows) {
        if (r.kind === 'audit') out.audit.push(toRow(r));
        else out.observations.push(toObservation(r));
      }
      for (const r of diag.rows)
        out.diagnoses.push({ traceId: r.trace_id, spanId: r.span_id, diagnoses: decodeDiagnoses(r.body) });
      for (const r of remaps.rows)
        out.remaps.push({ from: r.from_trace, to: r.to_trace, atNanos: BigInt(r.at_ns) });
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async write(batch: readonly ControlPlaneWrite[]): Promise<void> {
    if (batch.length === 0) return;
    await transaction(this.#pool, async (c) => {
      // one writer at a time: sequence numbers become visible in order (see the class comment)
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_CONTROL_PLANE]);
      for (const w of batch) {
        if (w.op === 'observations') await this.#insertObservations(c, w.rows);
        else if (w.op === 'diagnoses') await this.#upsertDiagnoses(c, w.sets);
        else if (w.op === 'remaps') await this.#upsertRemaps(c, w.rows);
        else await expire(c, w.request);
      }
      await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CONTROL_PLANE, '']);
    });
  }

  async #insertObservations(c: pg.ClientBase, rows: readonly ObservationRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.#maxRows) {
      const part = rows.slice(i, i + this.#maxRows);
      await c.query(
        `INSERT INTO ct_cp_observations (id, kind, obj_key, type, arrival_ns, at_ns, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
         ON CONFLICT (id) DO NOTHING`,
        [
          part.map((r) => r.id),
          part.map((r) => r.kind),
          part.map((r) => r.objectKey),
          part.map((r) => r.observation.type),
          part.map((r) => optional(r.observation.arrivalNanos)),
          part.map((r) => optional(r.atNanos)),
          part.map((r) => JSON.stringify(r.observation.object)),
        ],
      );
    }
  }

  async #upsertDiagnoses(c: pg.ClientBase, sets: readonly DiagnosisSet[]): Promise<void> {
    // one statement must not touch a row twice: the last set of a span wins
    const last = [...new Map(sets.map((s) => [`${s.traceId}|${s.spanId}`, s])).values()];
    for (let i = 0; i < last.length; i += this.#maxRows) {
      const part = last.slice(i, i + this.#maxRows);
      await c.query(
        `INSERT INTO ct_cp_diagnoses (trace_id, span_id, time_ns, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
         ON CONFLICT (trace_id, span_id) DO UPDATE
           SET time_ns = EXCLUDED.time_ns, body = EXCLUDED.body, seq = nextval('ct_cp_seq')`,
        [
          part.map((s) => s.traceId),
          part.map((s) => s.spanId),
          // an emptied set is kept (so other collectors learn of it) until retention passes its time
          part.map((s) => String(s.diagnoses[0]?.timeNanos ?? BigInt(Date.now()) * 1_000_000n)),
          part.map((s) => encodeDiagnoses(s.diagnoses)),
        ],
      );
    }
  }

  async #upsertRemaps(c: pg.ClientBase, rows: readonly RemapRow[]): Promise<void> {
    const last = [...new Map(rows.map((r) => [r.from, r])).values()];
    for (let i = 0; i < last.length; i += this.#maxRows) {
      const part = last.slice(i, i + this.#maxRows);
      await c.query(
        `INSERT INTO ct_cp_trace_remap (from_trace, to_trace, at_ns)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
         ON CONFLICT (from_trace) DO UPDATE
           SET to_trace = EXCLUDED.to_trace, at_ns = EXCLUDED.at_ns, seq = nextval('ct_cp_seq')`,
        [part.map((r) => r.from), part.map((r) => r.to), part.map((r) => String(r.atNanos))],
      );
    }
  }

  async auditRows(auditIds: readonly string[]): Promise<ObservationRow[]> {
    if (auditIds.length === 0) return [];
    const r = await this.#pool.query<ObservationDbRow>(
      `SELECT seq, id, kind, obj_key, type, arrival_ns, at_ns, body FROM ct_cp_observations
        WHERE kind = 'audit' AND obj_key = ANY($1::text[]) ORDER BY seq`,
      [auditIds],
    );
    return r.rows.map(toRow);
  }

  subscribe(wake: () => void): () => void {
    this.#wakers.add(wake);
    if (this.#listener === undefined) void this.#listen();
    return () => this.#wakers.delete(wake);
  }

  /** A connection that LISTENs; lost, it is opened again on the next subscription or after 5 s. */
  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#url });
    this.#listener = client;
    const lost = () => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => {});
      if (!this.#closed && this.#wakers.size > 0) setTimeout(() => void this.#listen(), 5000).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => {
      for (const w of this.#wakers) w();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CONTROL_PLANE}`);
      // what was written while not listening
      for (const w of this.#wakers) w();
    } catch {
      lost();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakers.clear();
    const l = this.#listener;
    this.#listener = undefined;
    await l?.end().catch(() => {});
    await this.#pool.end();
  }
}

/** Opens the control-plane backend on PostgreSQL (tables created on first use). */
export function openPostgresControlPlaneStore(
  opts: PostgresControlPlaneStoreOptions,
): Promise<PostgresControlPlaneStore> {
  return PostgresControlPlaneStore.open(opts);
}

async function transaction(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await body(c);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

async function expire(c: pg.ClientBase, req: ExpireRequest): Promise<void> {
  if (req.objects.length > 0)
    await c.query(
      `DELETE FROM ct_cp_observations o USING unnest($1::text[], $2::text[]) AS g(kind, obj_key)
        WHERE o.kind = g.kind AND o.obj_key = g.obj_key`,
      [req.objects.map((o) => o.kind), req.objects.map((o) => o.key)],
    );
  if (req.observationIds.length > 0)
    await c.query('DELETE FROM ct_cp_observations WHERE id = ANY($1::text[])', [req.observationIds]);
  const before = String(req.beforeNanos);
  await c.query("DELETE FROM ct_cp_observations WHERE kind = 'audit' AND at_ns < $1", [before]);
  await c.query('DELETE FROM ct_cp_diagnoses WHERE time_ns < $1', [before]);
  await c.query('DELETE FROM ct_cp_trace_remap WHERE at_ns < $1', [before]);
}

function optional(n: bigint | undefined): string | null {
  return n === undefined ? null : String(n);
}

function toObservation(r: ObservationDbRow): Observation {
  const o: Observation = { type: r.type as ObservationType, object: JSON.parse(r.body) };
  if (r.arrival_ns !== null) o.arrivalNanos = BigInt(r.arrival_ns);
  return o;
}

function toRow(r: ObservationDbRow): ObservationRow {
  return {
    id: r.id,
    observation: toObservation(r),
    kind: r.kind,
    objectKey: r.obj_key,
    atNanos: r.at_ns === null ? undefined : BigInt(r.at_ns),
  };
}

function encodeDiagnoses(list: readonly StoredDiagnosis[]): string {
  return JSON.stringify(list.map((d) => ({ ...d, timeNanos: String(d.timeNanos) })));
}

function decodeDiagnoses(body: string): StoredDiagnosis[] {
  return (JSON.parse(body) as (Omit<StoredDiagnosis, 'timeNanos'> & { timeNanos: string })[]).map((d) => ({
    ...d,
    timeNanos: BigInt(d.timeNanos),
  }));
}
