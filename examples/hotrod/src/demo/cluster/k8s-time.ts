// Kubernetes writes times three ways: metav1.Time (RFC 3339, whole seconds: creationTimestamp,
// deletionTimestamp, startTime, lastTransitionTime, firstTimestamp, managedFields), metav1.MicroTime
// (six fraction digits: eventTime, audit timestamps) and Go's RFC3339Nano (fraction digits with
// trailing zeros trimmed: the EndpointSlice last-change-trigger-time annotation).

/** Now, in nanoseconds since the epoch, with the clock's sub-millisecond part. */
export function nowNanos(): bigint {
  const ms = performance.timeOrigin + performance.now();
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function isoSeconds(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
}

function fraction(ns: bigint): string {
  return String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0');
}

/** metav1.Time: `2026-12-07T03:40:12Z` (truncated to the second, as the API server stores it). */
export function k8sSeconds(ns: bigint): string {
  return `${isoSeconds(ns)}Z`;
}

/** metav1.MicroTime: `2026-12-07T03:40:12.123456Z`. */
export function k8sMicros(ns: bigint): string {
  return `${isoSeconds(ns)}.${fraction(ns).slice(0, 6)}Z`;
}

/** Go's RFC3339Nano: `2026-12-07T03:40:12.1234567Z`, trailing zeros trimmed (none when whole). */
export function rfc3339Nano(ns: bigint): string {
  const f = fraction(ns).replace(/0+$/, '');
  return f === '' ? `${isoSeconds(ns)}Z` : `${isoSeconds(ns)}.${f}Z`;
}

/** The nanoseconds of an RFC 3339 time with any number of fraction digits; undefined if not one. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(whole)) return undefined;
  return BigInt(whole) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}
