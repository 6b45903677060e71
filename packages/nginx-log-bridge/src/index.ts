export type { BridgeOptions, FollowOptions } from './bridge.js';
export { Bridge } from './bridge.js';
export { BridgeError, BridgeErrorCode } from './errors.js';
export { encodeTraceRequest } from './export/encode-trace-request.js';
export type { ExportOutcome, OtlpSinkOptions, SpanSink, TlsOptions } from './export/span-sink.js';
export {
  createExporterSink,
  createJsonLinesSink,
  createOtlpSink,
  isPermanentStatus,
  tracesUrl,
} from './export/span-sink.js';
export type { BridgeCounts } from './metrics.js';
export { BridgeMetrics, serveMetrics } from './metrics.js';
export type { ContainerFormat, Unwrapper, UnwrapResult } from './parse/container.js';
export { createUnwrapper } from './parse/container.js';
export type { JsonMapping } from './parse/json-format.js';
export { createJsonParser, DEFAULT_JSON_MAPPING } from './parse/json-format.js';
export { compileLogFormat, unescapeNginx } from './parse/log-format.js';
export type { ParserOptions } from './parse/parse-line.js';
export { createParser, parseLine } from './parse/parse-line.js';
export type { FormatName } from './parse/presets.js';
export {
  COMBINED_FORMAT,
  INGRESS_NGINX_FORMAT,
  INGRESS_NGINX_LEGACY_FORMAT,
  MAIN_FORMAT,
} from './parse/presets.js';
export type { BadLineReason, LineParser, LogRecord, ParseResult, ValuePositions } from './parse/types.js';
export type { LineSource, ToSpansOptions } from './spans/options.js';
export { SpanBuilder } from './spans/span-builder.js';
export { toSpans } from './spans/to-spans.js';
export type { UpstreamService } from './spans/upstream-name.js';
export { splitUpstreamName } from './spans/upstream-name.js';
export { formatSummary } from './summary.js';
export type { FilePosition } from './tail/checkpoint.js';
export { Checkpoint } from './tail/checkpoint.js';
