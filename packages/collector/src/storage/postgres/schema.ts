// The PostgreSQL schema: spans in a table partitioned by start time (declarative RANGE
// partitioning), every key holding trace_id, and two small dictionaries.
import type pg from 'pg';

export const SCHEMA_VERSION = 1;

/** Advisory lock keys (per database): schema and partition DDL, retention. */
export const LOCK_DDL = 0x63740001;
export const LOCK_RETENTION = 0x63740002;

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
