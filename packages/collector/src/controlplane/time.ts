// Kubernetes timestamps (RFC 3339, seconds or with up to nanosecond fractions) as bigint ns.
import { MAX_TIME_NANOS } from '../model/span.js';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses an RFC 3339 timestamp into nanoseconds since the epoch; undefined when absent, invalid,
 * or outside what a span can carry (before 1970, after 2262-04-11: see MAX_TIME_NANOS).
 */
export function parseK8sTime(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value.trim());
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3].toUpperCase() === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  const ns = BigInt(ms) * 1_000_000n + BigInt(frac);
  return ns < 0n || ns > MAX_TIME_NANOS ? undefined : ns;
}

/** Formats nanoseconds as RFC 3339 with microseconds (for messages and evidence). */
export function formatNanos(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const micros = Number((ns / 1000n) % 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

export const NANOS_PER_SECOND = 1_000_000_000n;
export const NANOS_PER_MS = 1_000_000n;

/** The later of two times (bigint has no Math.max). */
export function laterOf(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

/** The earlier of two times. */
export function earlierOf(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}
