/** A nanosecond count as Go's `time.Duration.String()` prints it for whole seconds and more (`3m0s`, `1h2m3s`). */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const totalSeconds = nanos / 1e9;
  if (totalSeconds < 1) return `${nanos / 1e6}ms`;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = Number((totalSeconds % 60).toFixed(9));
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
