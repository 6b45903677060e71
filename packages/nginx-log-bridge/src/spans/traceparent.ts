const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** A W3C trace context read from a log line. */
export interface LoggedContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** A valid 32-hex trace id (lowercased), or undefined. Never throws. */
export function validTraceId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return HEX32.test(v) && v !== '00000000000000000000000000000000' ? v : undefined;
}

/** A valid 16-hex span id (lowercased), or undefined. Never throws. */
export function validSpanId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return HEX16.test(v) && v !== '0000000000000000' ? v : undefined;
}

/** Parses a logged `traceparent`; undefined when absent or invalid (as W3C extract does). */
export function parseTraceparent(value: string | undefined): LoggedContext | undefined {
  if (value === undefined || value.length < 55) return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (m === null || m[1] === 'ff') return undefined;
  const traceId = validTraceId(m[2]);
  const spanId = validSpanId(m[3]);
  if (traceId === undefined || spanId === undefined) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(m[4], 16) & 1 };
}
