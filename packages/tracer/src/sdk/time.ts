import { performance } from 'node:perf_hooks';
import type { HrTime, TimeInput } from '@opentelemetry/api';

const origin = performance.timeOrigin;

/** Now, in milliseconds since the epoch with sub-millisecond precision. */
export function nowMillis(): number {
  return origin + performance.now();
}

/**
 * Converts an OpenTracing time (epoch milliseconds) or an OpenTelemetry `TimeInput` (epoch ms,
 * performance-relative ms, `Date` or `HrTime`) to epoch milliseconds; `undefined` for bad input.
 */
export function toMillis(time: TimeInput | undefined): number | undefined {
  if (typeof time === 'number') {
    if (!Number.isFinite(time) || time < 0) return undefined;
    // as OpenTelemetry does: numbers below the time origin are performance.now() readings
    return time < origin ? origin + time : time;
  }
  if (time instanceof Date) {
    const ms = time.getTime();
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (
    Array.isArray(time) &&
    time.length === 2 &&
    typeof time[0] === 'number' &&
    typeof time[1] === 'number'
  ) {
    return time[0] * 1e3 + time[1] / 1e6;
  }
  return undefined;
}

/** Epoch milliseconds to an OpenTelemetry `HrTime` (`[seconds, nanoseconds]`). */
export function millisToHrTime(ms: number): HrTime {
  let seconds = Math.floor(ms / 1e3);
  let nanos = Math.round((ms - seconds * 1e3) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return [seconds, nanos];
}
