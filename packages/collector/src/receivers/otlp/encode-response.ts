// ExportTraceServiceResponse { partial_success: ExportTracePartialSuccess { rejected_spans = 1 (int64),
// error_message = 2 } } — encoded by hand with protobufjs's Writer (two fields).
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** The protobuf response; empty (all accepted) when `partial` is undefined or all zero. */
export function encodeResponseProtobuf(partial?: PartialSuccess): Uint8Array {
  if (partial === undefined || (partial.rejectedSpans === 0 && partial.errorMessage === '')) {
    return new Uint8Array(0);
  }
  const w = Writer.create();
  w.uint32((1 << 3) | 2).fork();
  if (partial.rejectedSpans !== 0) w.uint32(1 << 3).int64(partial.rejectedSpans);
  if (partial.errorMessage !== '') w.uint32((2 << 3) | 2).string(partial.errorMessage);
  w.ldelim();
  return w.finish();
}

/** The OTLP/JSON response object (int64 as a string, as protobuf JSON prints it). */
export function encodeResponseJson(partial?: PartialSuccess): Record<string, unknown> {
  if (partial === undefined || (partial.rejectedSpans === 0 && partial.errorMessage === '')) return {};
  return {
    partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage },
  };
}

/**
 * google.rpc.Status { code = 1, message = 2 } as protobuf, the body of an OTLP/HTTP error response
 * when the request was protobuf.
 */
export function encodeStatusProtobuf(code: number, message: string): Uint8Array {
  const w = Writer.create();
  if (code !== 0) w.uint32(1 << 3).int32(code);
  if (message !== '') w.uint32((2 << 3) | 2).string(message);
  return w.finish();
}

/**
 * google.rpc.Status { code, message, details: [Any(google.rpc.RetryInfo { retry_delay })] }, the
 * `grpc-status-details-bin` trailer that tells OTLP/gRPC clients how long to back off.
 */
export function encodeRetryStatus(code: number, message: string, retryAfterSeconds: number): Uint8Array {
  const w = Writer.create();
  w.uint32(1 << 3).int32(code);
  if (message !== '') w.uint32((2 << 3) | 2).string(message);
  w.uint32((3 << 3) | 2).fork(); // details: Any
  w.uint32((1 << 3) | 2).string('type.googleapis.com/google.rpc.RetryInfo');
  w.uint32((2 << 3) | 2).fork(); // Any.value: RetryInfo
  w.uint32((1 << 3) | 2).fork(); // retry_delay: Duration
  w.uint32(1 << 3).int64(Math.max(0, Math.trunc(retryAfterSeconds)));
  w.ldelim();
  w.ldelim();
  w.ldelim();
  return w.finish();
}
