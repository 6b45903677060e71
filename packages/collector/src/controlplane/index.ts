export { deriveSpanId, deriveTraceId, spanIdFromAuditId, traceIdFromAuditId } from './ids.js';
export type {
  EndpointSlice,
  K8sEvent,
  K8sObject,
  Observation,
  ObservationType,
  Pod,
} from './k8s-types.js';
export {
  affectedGroups,
  buildLifecycleSpans,
  CONTROL_PLANE_LAYER,
  deploymentOfReplicaSet,
  podLifecycleRef,
  replicaSetOfPodName,
} from './lifecycle.js';
export { MemoryControlPlaneStore } from './memory-store.js';
export { SqliteControlPlaneStore } from './sqlite-store.js';
export type {
  ControlPlaneState,
  ControlPlaneStateOptions,
  ExpireResult,
  IngressReload,
  ObservationResult,
  OpenControlPlaneStateOptions,
} from './state.js';
export { createControlPlaneState, eventKeyOf, openControlPlaneState } from './state.js';
export type {
  ControlPlaneChanges,
  ControlPlaneStore,
  ControlPlaneWrite,
  DiagnosisSet,
  ExpireRequest,
  ObservationRow,
  RemapRow,
  StoredDiagnosis,
} from './store.js';
export { formatNanos, parseK8sTime } from './time.js';
export type { EndpointChange, EndpointChangeKind, PodRecord, ReadinessTransition } from './timeline.js';
export { derivePod, deriveSliceChanges, eventTiming } from './timeline.js';
