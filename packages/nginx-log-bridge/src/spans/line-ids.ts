import * as crypto from 'node:crypto';
import { ingressSpanIdBytes } from '@crosstrace/contract';
import type { LogRecord } from '../parse/types.js';
import type { LineSource } from './options.js';
import { parseTraceparent, validSpanId, validTraceId } from './traceparent.js';

// Where a line's ids sit in its id bytes (see SpanOut.begin): the SERVER span's remote parent, the
// trace id, the SERVER span id, then one id per upstream attempt.
/** Bytes of a span id. */
export const SPAN_ID_BYTES = 8;
/** Bytes of a trace id. */
export const TRACE_ID_BYTES = 16;
/** Offset of the SERVER span's remote parent id in the ids of a line. */
export const IDS_SERVER_PARENT = 0;
/** Offset of the trace id in the ids of a line. */
export const IDS_TRACE = IDS_SERVER_PARENT + SPAN_ID_BYTES;
/** Offset of the SERVER span id in the ids of a line. */
export const IDS_SERVER = IDS_TRACE + TRACE_ID_BYTES;
/** Offset of the first upstream attempt's span id in the ids of a line (one span id each). */
export const IDS_ATTEMPTS = IDS_SERVER + SPAN_ID_BYTES;

/** Attempts the id bytes have room for before they grow. */
const INITIAL_ATTEMPTS = 8;

/** Hex digits (validated, lowercase) → bytes at `at`. */
function hexInto(hex: string, out: Uint8Array, at: number): void {
  for (let i = 0; i < hex.length; i += 2) out[at + (i >> 1)] = Number.parseInt(hex.slice(i, i + 2), 16);
}

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));

/** `n` bytes from `at` as lowercase hex. */
export function hexOf(bytes: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < at + n; i++) s += HEX_BYTE[bytes[i]];
  return s;
}

// One native call per digest where Node has `crypto.hash()` (>= 20.12); the same digest otherwise.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex: (text: string) => string =
  typeof oneShot === 'function'
    ? (text) => oneShot('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** Hex digits of the digest kept in a seed (the request-id derivation accepts at most 256 characters). */
const SEED_DIGITS = 40;

/** A short stable seed for a line without request id: its file identity and offset, else its values. */
function seedFor(record: LogRecord, source: LineSource | undefined): string {
  const text =
    source !== undefined ? `line:${source.id}:${source.offset}` : `record:${JSON.stringify(record)}`;
  return `crosstrace-line-${sha256Hex(text).slice(0, SEED_DIGITS)}`;
}

/**
 * The ids of one line's spans as bytes (at the `IDS_*` offsets), with the trace flags and the
 * SERVER span's parent. Ids come from a logged OTel trace id or `traceparent`, else from the request
 * id through the X-Request-ID derivation `ingressSpanIdBytes` (the last attempt's id is the app's
 * parent), else from the line's file identity and offset. One object per span builder, refilled by
 * {@link fill} line after line.
 */
export class LineIds {
  bytes = new Uint8Array(IDS_ATTEMPTS + SPAN_ID_BYTES * INITIAL_ATTEMPTS);
  traceFlags = 1;
  /** {@link IDS_SERVER_PARENT} when the SERVER span has a logged parent, else -1. */
  serverParent = -1;

  /**
   * The ids of a line with `attempts` upstream attempts; false when the line has no usable id (an
   * over-long request id). `requestIdAt` is where `requestId` sits in `textBytes` (-1: not there).
   */
  fill(
    record: LogRecord,
    source: LineSource | undefined,
    requestId: string | undefined,
    textBytes: Uint8Array | undefined,
    requestIdAt: number,
    attempts: number,
  ): boolean {
    const tp = parseTraceparent(record.http_traceparent);
    const otelTrace = validTraceId(record.otel_trace_id) ?? validTraceId(record.opentelemetry_trace_id);
    const otelSpan = validSpanId(record.otel_span_id) ?? validSpanId(record.opentelemetry_span_id);
    const size = IDS_ATTEMPTS + SPAN_ID_BYTES * attempts;
    if (this.bytes.length < size) this.bytes = new Uint8Array(size);
    const ids = this.bytes;
    const idOk =
      requestId !== undefined
        ? ingressSpanIdBytes(requestId, attempts, ids, IDS_TRACE, textBytes, requestIdAt)
        : ingressSpanIdBytes(seedFor(record, source), attempts, ids, IDS_TRACE);
    if (!idOk) return false;
    let serverParent = -1;
    let traceFlags = 1;
    let propagated: string | undefined;
    if (otelTrace !== undefined) {
      hexInto(otelTrace, ids, IDS_TRACE);
      propagated = otelSpan;
      const parent =
        validSpanId(record.otel_parent_id) ?? (tp?.traceId === otelTrace ? tp.spanId : undefined);
      if (parent !== undefined) {
        hexInto(parent, ids, IDS_SERVER_PARENT);
        serverParent = IDS_SERVER_PARENT;
      }
    } else if (tp !== undefined) {
      hexInto(tp.traceId, ids, IDS_TRACE);
      traceFlags = tp.traceFlags;
      // nginx forwards the traceparent unchanged: its span is the last attempt (the app's parent).
      if (attempts > 0) propagated = tp.spanId;
      else {
        hexInto(tp.spanId, ids, IDS_SERVER_PARENT);
        serverParent = IDS_SERVER_PARENT;
      }
    }
    if (propagated !== undefined)
      hexInto(propagated, ids, attempts > 0 ? IDS_ATTEMPTS + SPAN_ID_BYTES * (attempts - 1) : IDS_SERVER);
    this.traceFlags = traceFlags;
    this.serverParent = serverParent;
    return true;
  }
}
