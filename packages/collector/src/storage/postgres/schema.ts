// The PostgreSQL schema: spans in a table partitioned by start time (declarative RANGE
// partitioning), every key holding trace_id, and two small dictionaries.
import type pg from 'pg';

export const SCHEMA_VERSION = 1;

/** Advisory lock keys (per database): schema and partition DDL, retention. */
export const LOCK_DDL = 0x63740001;
export const LOCK_RETENTION = 0x63740002;
/** Held by each control-plane write transaction (see control-plane-store.ts). */
export const LOCK_CONTROL_PLANE = 0x63740003;
/** The channel a control-plane write notifies. */
export const NOTIFY_CONTROL_PLANE = 'ct_cp_changes';

/**
 * `ct_spans`: one row per span, partitioned by `start_ns`. The primary key is (trace_id, span_id,
 * start_ns): a partitioned table's unique keys must hold the partition key, and trace_id first
 * lets the table be distributed by trace id (Citus). `tags` holds the span's search terms
 * (see terms.ts) under a GIN index. `ct_resources` (resource + scope bodies by hash) and
 * `ct_operations` (service, operation, kind, last seen) are dictionaries: reference tables in
 * Citus.
 */
export function schemaStatements(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ct_meta (key text PRIMARY KEY, value text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ct_spans (
      trace_id bytea NOT NULL,
      span_id bytea NOT NULL,
      parent_id bytea NOT NULL,
      service text NOT NULL,
      operation text NOT NULL,
      kind smallint NOT NULL,
      layer text NOT NULL,
      start_ns bigint NOT NULL,
      duration_ns bigint NOT NULL,
      resource_id bytea NOT NULL,
      tags text[] NOT NULL,
      body text NOT NULL,
      PRIMARY KEY (trace_id, span_id, start_ns)
    ) PARTITION BY RANGE (start_ns)`,
    `CREATE INDEX IF NOT EXISTS ct_spans_start ON ct_spans (start_ns)`,
    `CREATE INDEX IF NOT EXISTS ct_spans_service_start ON ct_spans (service, start_ns)`,
    `CREATE INDEX IF NOT EXISTS ct_spans_tags ON ct_spans USING gin (tags)`,
    `CREATE TABLE IF NOT EXISTS ct_resources (id bytea PRIMARY KEY, body text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ct_operations (
      service text NOT NULL, name text NOT NULL, kind smallint NOT NULL, last_ns bigint NOT NULL,
      PRIMARY KEY (service, name, kind))`,
  ];
}

/** The partition holding `bucket` (start_ns in [bucket × interval, (bucket + 1) × interval)). */
export function partitionName(bucket: bigint): string {
  return bucket < 0n ? `ct_spans_m${-bucket}` : `ct_spans_p${bucket}`;
}

export function bucketOf(startNs: bigint, intervalNs: bigint): bigint {
  // floor division (start times before 1970 are negative)
  const q = startNs / intervalNs;
  return startNs < 0n && q * intervalNs !== startNs ? q - 1n : q;
}

/** A partition and its bounds, as the catalog holds them. */
export interface PartitionInfo {
  name: string;
  fromNs: bigint;
  toNs: bigint;
  bytes: number;
}

/** The partitions of ct_spans, oldest first. */
export async function listPartitions(client: pg.ClientBase): Promise<PartitionInfo[]> {
  const r = await client.query<{ name: string; bound: string; bytes: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
            pg_total_relation_size(c.oid) AS bytes
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'ct_spans'::regclass`,
  );
  const out: PartitionInfo[] = [];
  for (const row of r.rows) {
    const m = /FROM \('?(-?[0-9]+)'?\) TO \('?(-?[0-9]+)'?\)/.exec(row.bound);
    if (m === null) continue;
    out.push({ name: row.name, fromNs: BigInt(m[1]), toNs: BigInt(m[2]), bytes: Number(row.bytes) });
  }
  return out.sort((a, b) => (a.fromNs < b.fromNs ? -1 : a.fromNs > b.fromNs ? 1 : 0));
}

/**
 * The control-plane tables. Every row carries a number of the sequence `ct_cp_seq`, so collectors
 * read what others wrote after the last number they saw (indexed). `ct_cp_observations`: Kubernetes
 * objects and audit events by content hash, labelled with their object (`kind`, `obj_key`: the
 * audit id for audit events) and the time retention files them under (`at_ns`); small beside the
 * spans, a reference table in Citus. `ct_cp_diagnoses` (key trace_id, span_id) and
 * `ct_cp_trace_remap` (key from_trace, a trace id) can be distributed by trace id; both are
 * indexed by time for retention.
 */
export function controlPlaneSchemaStatements(): string[] {
  return [
    `CREATE SEQUENCE IF NOT EXISTS ct_cp_seq`,
    `CREATE TABLE IF NOT EXISTS ct_cp_observations (
      id text PRIMARY KEY,
      seq bigint NOT NULL DEFAULT nextval('ct_cp_seq'),
      kind text NOT NULL,
      obj_key text NOT NULL,
      type text NOT NULL,
      arrival_ns bigint,
      at_ns bigint,
      body text NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS ct_cp_observations_seq ON ct_cp_observations (seq)`,
    `CREATE INDEX IF NOT EXISTS ct_cp_observations_object ON ct_cp_observations (kind, obj_key)`,
    `CREATE INDEX IF NOT EXISTS ct_cp_observations_time ON ct_cp_observations (kind, at_ns)`,
    `CREATE TABLE IF NOT EXISTS ct_cp_diagnoses (
      trace_id text NOT NULL,
      span_id text NOT NULL,
      seq bigint NOT NULL DEFAULT nextval('ct_cp_seq'),
      time_ns bigint NOT NULL,
      body text NOT NULL,
      PRIMARY KEY (trace_id, span_id)
    )`,
    `CREATE INDEX IF NOT EXISTS ct_cp_diagnoses_seq ON ct_cp_diagnoses (seq)`,
    `CREATE INDEX IF NOT EXISTS ct_cp_diagnoses_time ON ct_cp_diagnoses (time_ns)`,
    `CREATE TABLE IF NOT EXISTS ct_cp_trace_remap (
      from_trace text PRIMARY KEY,
      to_trace text NOT NULL,
      seq bigint NOT NULL DEFAULT nextval('ct_cp_seq'),
      at_ns bigint NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS ct_cp_trace_remap_seq ON ct_cp_trace_remap (seq)`,
    `CREATE INDEX IF NOT EXISTS ct_cp_trace_remap_time ON ct_cp_trace_remap (at_ns)`,
  ];
}
