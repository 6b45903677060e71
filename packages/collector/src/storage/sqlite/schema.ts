// The SQLite schema. One row per span (indexed columns + a compact JSON body), dictionaries for
// services, operations and resource+scope pairs, and two tag indexes:
// - span_tags: (time bucket, hash of key=value, span row) for span attributes and derived tags.
//   The bucket (start time / 15 min) keeps inserts local to the newest part of the B-tree and
//   lets retention drop whole buckets by range.
// - resource_tags: (hash of key=value, resource row) for resource attributes, stored once per
//   resource instead of once per span; spans are then found through spans(resource_id, start_ns).

export const SCHEMA_VERSION = 1;

/** Width of a span_tags time bucket. */
export const BUCKET_NS = 15n * 60n * 1_000_000_000n;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS services (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS operations (
  id INTEGER PRIMARY KEY,
  service_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  UNIQUE (service_id, name, kind)
);
CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_hash ON resources (hash);
CREATE TABLE IF NOT EXISTS resource_tags (
  kv INTEGER NOT NULL,
  resource_id INTEGER NOT NULL,
  PRIMARY KEY (kv, resource_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY,
  trace_id BLOB NOT NULL,
  span_id BLOB NOT NULL,
  parent_id BLOB,
  service_id INTEGER NOT NULL,
  operation_id INTEGER NOT NULL,
  resource_id INTEGER NOT NULL,
  layer TEXT NOT NULL,
  kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS spans_trace ON spans (trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
CREATE INDEX IF NOT EXISTS spans_service ON spans (service_id, start_ns);
CREATE INDEX IF NOT EXISTS spans_operation ON spans (operation_id, start_ns);
CREATE INDEX IF NOT EXISTS spans_resource ON spans (resource_id, start_ns);
CREATE INDEX IF NOT EXISTS spans_layer ON spans (layer, start_ns);
CREATE TABLE IF NOT EXISTS span_tags (
  bucket INTEGER NOT NULL,
  kv INTEGER NOT NULL,
  span_rowid INTEGER NOT NULL,
  PRIMARY KEY (bucket, kv, span_rowid)
) WITHOUT ROWID;
`;
