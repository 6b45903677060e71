// Durations and times as the UI writes them.

/** µs → "312 ms", "1.24 s", "85 µs", "2 min 3 s". */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const a = Math.abs(us);
  const sign = us < 0 ? '−' : '';
  if (a < 1000) return `${sign}${round(a)} µs`;
  if (a < 1_000_000) return `${sign}${round(a / 1000)} ms`;
  if (a < 60_000_000) return `${sign}${round(a / 1_000_000)} s`;
  const min = Math.floor(a / 60_000_000);
  const s = Math.round((a - min * 60_000_000) / 1_000_000);
  return `${sign}${min} min${s > 0 ? ` ${s} s` : ''}`;
}

/** µs → a short axis label: "850µs", "12ms", "1.5s", "2.7m", "3.1h". */
export function formatDurationShort(us: number): string {
  const a = Math.abs(us);
  const r = (v: number) => String(Math.round(v * 10) / 10);
  if (a < 1000) return `${r(us)}µs`;
  if (a < 1_000_000) return `${r(us / 1000)}ms`;
  if (a < 60_000_000) return `${r(us / 1e6)}s`;
  if (a < 3_600_000_000) return `${r(us / 6e7)}m`;
  return `${r(us / 3.6e9)}h`;
}

/** ms → like formatDuration. */
export function formatDurationMs(ms: number): string {
  return formatDuration(ms * 1000);
}

function round(v: number): string {
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
}

/**
 * "1.2s", "100ms", "250us", "1m30s", "2h" → µs; undefined when not a duration. The syntax of
 * Jaeger's min/max duration fields (Go durations).
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 0.001, us: 1, µs: 1, μs: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * unit[m[2]];
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? total : undefined;
}

export type TimeZoneMode = 'local' | 'utc';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** µs since the epoch → "2026-12-07 03:34:29.123" in UTC or local time. */
export function formatTimestamp(us: number, tz: TimeZoneMode, opts: { date?: boolean } = {}): string {
  const d = new Date(us / 1000);
  const parts =
    tz === 'utc'
      ? [
          d.getUTCFullYear(),
          d.getUTCMonth() + 1,
          d.getUTCDate(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
          d.getUTCMilliseconds(),
        ]
      : [
          d.getFullYear(),
          d.getMonth() + 1,
          d.getDate(),
          d.getHours(),
          d.getMinutes(),
          d.getSeconds(),
          d.getMilliseconds(),
        ];
  const time = `${pad(parts[3])}:${pad(parts[4])}:${pad(parts[5])}.${pad(parts[6], 3)}`;
  const suffix = tz === 'utc' ? ' UTC' : '';
  if (opts.date === false) return time + suffix;
  return `${parts[0]}-${pad(parts[1])}-${pad(parts[2])} ${time}${suffix}`;
}

/** "3 minutes ago" style relative time from µs. */
export function formatAgo(us: number, nowMs: number): string {
  const s = Math.round((nowMs - us / 1000) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** An attribute value as text. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
