export type { ControlPlaneSyncOptions } from './control-plane-sync.js';
export { createControlPlaneSync } from './control-plane-sync.js';
