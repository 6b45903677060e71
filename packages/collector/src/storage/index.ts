export type { SpanFilter } from './matching.js';
export {
  filterFromSpanQuery,
  filterFromTraceQuery,
  linkRefType,
  matchesFilter,
  parentSpanIdOf,
  spanHasTag,
  spanKindFromName,
  spanKindName,
  syntheticTags,
  tagString,
} from './matching.js';
export { createMemoryStore, MemorySpanStore } from './memory/memory-store.js';
export type {
  PostgresControlPlaneStoreOptions,
  PostgresRetentionResult,
  PostgresStoreOptions,
} from './postgres/index.js';
export {
  openPostgresControlPlaneStore,
  openPostgresStore,
  PostgresControlPlaneStore,
  PostgresSpanStore,
} from './postgres/index.js';
export type { DependencyLink, Operation, SpanQuery, SpanStore, TraceQuery } from './span-store.js';
export type { RetentionResult, SqliteStoreOptions, SqliteStoreStats } from './sqlite/sqlite-store.js';
export { openSqliteStore, SqliteSpanStore } from './sqlite/sqlite-store.js';
