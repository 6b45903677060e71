export { defaultTuning, noDelayTuning, type ServiceTuning, validateTuning } from './config.js';
export { type RunningDemo, runDemo } from './demo/demo.js';
export { type DemoOptions, defaultDemoOptions } from './demo/options.js';
export { DEFAULT_RECORDING, type ReplayOptions, type RunningReplay, runReplay } from './demo/replay.js';
export { buildReport, type DemoReport, formatReport } from './demo/report.js';
export { ErrorCode, HotrodError } from './errors.js';
export { Telemetry, type TelemetryOptions } from './services/common/telemetry.js';
export {
  defaultAddresses,
  type RunningServices,
  SERVICE_NAMES,
  type ServiceAddresses,
  type ServiceName,
  type StartServicesOptions,
  startServices,
} from './services/run.js';
