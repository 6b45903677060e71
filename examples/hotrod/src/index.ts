export { defaultTuning, noDelayTuning, type ServiceTuning, validateTuning } from './config.js';
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
