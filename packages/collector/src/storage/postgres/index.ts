export type { PostgresControlPlaneStoreOptions } from './control-plane-store.js';
export { openPostgresControlPlaneStore, PostgresControlPlaneStore } from './control-plane-store.js';
export type { PostgresRetentionResult, PostgresStoreOptions } from './postgres-store.js';
export { openPostgresStore, PostgresSpanStore } from './postgres-store.js';
export { MAX_TERM_BYTES, spanTerms, tagTerm } from './terms.js';
