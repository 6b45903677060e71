// The SQLite schema. One row per span (indexed columns + a compact JSON body), dictionaries for
// services, operations and resource+scope pairs, and one search-index row per write transaction:
// - spans carries only two B-tree indexes: (trace_id, span_id), unique (trace by id, idempotency),
//   and (start_ns) (time scans, retention).
// - operations.last_ns: the latest start of a span written with the operation; retention deletes
//   the operations (and then services) whose last span is older than the oldest stored one.
// - blocks: per transaction, the time range of its spans and a postings blob (postings.ts) mapping
//   each term (tag key=value of span, event or resource attributes, service, operation, layer) to the
//   row ids carrying it. A search walks blocks newest first and binary-searches their blobs.

export const SCHEMA_VERSION = 2;

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
  last_ns INTEGER NOT NULL DEFAULT 0,
  UNIQUE (service_id, name, kind)
);
CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_hash ON resources (hash);
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
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY,
  min_start INTEGER NOT NULL,
  max_start INTEGER NOT NULL,
  base_rowid INTEGER NOT NULL,
  spans INTEGER NOT NULL,
  postings BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_time ON blocks (max_start, min_start);
`;
