export { STITCHING_DEFAULTS } from './defaults.js';
export type { AttemptFacts, Diagnosis } from './diagnose.js';
export { DiagnosisCode, diagnoseAttempt } from './diagnose.js';
export type { JoinTarget } from './join-target.js';
export { joinTargetOf, joinTraceId, requestIdOf } from './join-target.js';
export type { RestitchRange, StitchingProcessor, StitchingProcessorOptions } from './processor.js';
export {
  createStitchingProcessor,
  DIAGNOSIS_EVENT,
  isAppRoot,
  isAttempt,
  LINK_CONFIDENCE,
  LINK_METHOD,
  LINK_TYPE,
  STITCHING_RECEIVER,
} from './processor.js';
