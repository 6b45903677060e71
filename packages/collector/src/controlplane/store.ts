import type { Observation } from './k8s-types.js';

/** A diagnosis as stored for the query API. */
export interface StoredDiagnosis {
  traceId: string;
  spanId: string;
  code: string;
  message: string;
  evidence: Record<string, string | number | boolean>;
  /** start of the diagnosed span (ns) */
  timeNanos: bigint;
  /** service.name of the diagnosed span */
  service: string;
}

/** One observation as a backend keeps it: deduplicated by `id`, filed under its object and time. */
export interface ObservationRow {
  /** content hash of type, arrival and object */
  id: string;
  observation: Observation;
  /** `Pod`, `EndpointSlice`, `Event`, another kind, or `audit` (keyed by audit id) */
  kind: string;
  objectKey: string;
  /** the time retention files it under (ns) */
  atNanos?: bigint;
}

/** The diagnoses of one span (replacing what was stored for it; empty clears). */
export interface DiagnosisSet {
  traceId: string;
  spanId: string;
  diagnoses: StoredDiagnosis[];
}

/** Spans of `from` belong to trace `to`; dated by the span that made the join. */
export interface RemapRow {
  from: string;
  to: string;
  atNanos: bigint;
}

/** What expire removes from a backend. */
export interface ExpireRequest {
  beforeNanos: bigint;
  /** objects forgotten whole, as `kind` and key */
  objects: { kind: string; key: string }[];
  /** single superseded observations of objects that stay */
  observationIds: string[];
}

/** One write, applied in order with the others of a batch. */
export type ControlPlaneWrite =
  | { op: 'observations'; rows: ObservationRow[] }
  | { op: 'diagnoses'; sets: DiagnosisSet[] }
  | { op: 'remaps'; rows: RemapRow[] }
  | { op: 'expire'; request: ExpireRequest };

/** What a backend holds (audit events excepted: read back per id), with the cursor after it. */
export interface ControlPlaneChanges {
  observations: Observation[];
  /** audit events, as rows (only from `changesSince`: `load` leaves them in the backend) */
  audit: ObservationRow[];
  diagnoses: DiagnosisSet[];
  remaps: RemapRow[];
  /** pass to `changesSince` to get what came after */
  cursor: bigint;
}

/**
 * Where the control-plane state is kept: an append-mostly log of observations, the diagnoses and
 * trace remaps of the stitching processor. The state reads it whole on open, writes to it in
 * ordered batches, and (for a backend several collectors share) reads what others wrote since a
 * cursor.
 */
export interface ControlPlaneStore {
  /** `memory`, `sqlite` or `postgres` */
  readonly backend: string;
  /** Several processes write to it: the state tails `changesSince`. */
  readonly shared: boolean;
  /**
   * Everything held (but audit events), after removing the diagnoses, remaps and audit events dated
   * before `beforeNanos` (retention on open).
   */
  load(beforeNanos?: bigint): Promise<ControlPlaneChanges>;
  /** Applies the writes in order, atomically. */
  write(batch: readonly ControlPlaneWrite[]): Promise<void>;
  /** What was written (by anyone) after `cursor`, in write order. */
  changesSince(cursor: bigint): Promise<ControlPlaneChanges>;
  /** Audit events of these audit ids (`objectKey` is the audit id), each id's in write order. */
  auditRows(auditIds: readonly string[]): Promise<ObservationRow[]>;
  /** Calls `wake` when another writer may have written (a hint; absent: poll). */
  subscribe?(wake: () => void): () => void;
  close(): Promise<void>;
}

/** An empty change set at `cursor`. */
export function noChanges(cursor: bigint): ControlPlaneChanges {
  return { observations: [], audit: [], diagnoses: [], remaps: [], cursor };
}
