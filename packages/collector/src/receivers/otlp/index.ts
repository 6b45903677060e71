export { decodeTracesJson } from './decode-json.js';
export { decodeTracesProtobuf } from './decode-protobuf.js';
export type { DecodeResult } from './decode-result.js';
export type { PartialSuccess } from './encode-response.js';
export {
  encodeResponseJson,
  encodeResponseProtobuf,
  encodeRetryStatus,
  encodeStatusProtobuf,
} from './encode-response.js';
export type { ExportOutcome } from './export-traces.js';
export { exportTraces } from './export-traces.js';
