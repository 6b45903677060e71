// What one send to an OTLP endpoint came to, and how the answers of OTLP/HTTP and OTLP/gRPC map onto
// it (the OTLP specification's retryable codes; Retry-After and google.rpc.RetryInfo honoured).
import protobuf from 'protobufjs/minimal.js';

/**
 * `ok`: accepted (maybe with some spans refused one by one); `retry`: try again later (after
 * `afterMs` when the server said); `permanent`: the request itself is refused, never resend it.
 */
export type SendResult =
  | { kind: 'ok'; rejected: number; message: string }
  | { kind: 'retry'; afterMs: number | undefined; message: string }
  | { kind: 'permanent'; message: string };

/** The `Retry-After` header in ms (seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** ExportTraceServiceResponse.partial_success; zeros when absent or unreadable. */
export function decodePartialSuccess(buf: Uint8Array): { rejected: number; message: string } {
  const out = { rejected: 0, message: '' };
  try {
    const r = protobuf.Reader.create(buf);
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t >>> 3 !== 1 || (t & 7) !== 2) {
        r.skipType(t & 7);
        continue;
      }
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const u = r.uint32();
        if (u === 1 << 3) out.rejected = Number(r.int64().toString());
        else if (u === ((2 << 3) | 2)) out.message = r.string();
        else r.skipType(u & 7);
      }
    }
  } catch {
    // an unreadable body of a 200 still means accepted
  }
  return out;
}

/** The retry delay (ms) in a google.rpc.Status's RetryInfo detail (`grpc-status-details-bin`). */
export function retryDelayFromStatus(buf: Uint8Array): number | undefined {
  try {
    const r = protobuf.Reader.create(buf);
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t !== ((3 << 3) | 2)) {
        r.skipType(t & 7);
        continue;
      }
      const end = r.uint32() + r.pos;
      let typeUrl = '';
      let value: Uint8Array | undefined;
      while (r.pos < end) {
        const u = r.uint32();
        if (u === ((1 << 3) | 2)) typeUrl = r.string();
        else if (u === ((2 << 3) | 2)) value = r.bytes();
        else r.skipType(u & 7);
      }
      if (!typeUrl.endsWith('google.rpc.RetryInfo') || value === undefined) continue;
      const ri = protobuf.Reader.create(value);
      while (ri.pos < ri.len) {
        const u = ri.uint32();
        if (u !== ((1 << 3) | 2)) {
          ri.skipType(u & 7);
          continue;
        }
        const dEnd = ri.uint32() + ri.pos;
        let seconds = 0;
        let nanos = 0;
        while (ri.pos < dEnd) {
          const d = ri.uint32();
          if (d === 1 << 3) seconds = Number(ri.int64().toString());
          else if (d === 2 << 3) nanos = ri.int32();
          else ri.skipType(d & 7);
        }
        return seconds * 1000 + Math.round(nanos / 1e6);
      }
    }
  } catch {
    // no usable detail
  }
  return undefined;
}

/** OTLP/HTTP: 2xx ok; 429, 502, 503, 504 (and 401/403, fixable by configuration) retry; other 4xx/5xx permanent. */
export function resultOfHttp(status: number, body: Uint8Array, retryAfter: string | undefined): SendResult {
  if (status >= 200 && status < 300) return { kind: 'ok', ...decodePartialSuccess(body) };
  const message = `HTTP ${status}`;
  if ([429, 502, 503, 504, 401, 403, 408].includes(status))
    return { kind: 'retry', afterMs: parseRetryAfter(retryAfter), message };
  return { kind: 'permanent', message: `${message}: ${Buffer.from(body).toString('utf8', 0, 200)}` };
}
