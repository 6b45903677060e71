// Per service, over time: requests per second, error rate and duration percentiles of the spans
// that enter it (SERVER and CONSUMER spans; all its spans for a service that has none, such as the
// control plane's event spans), in buckets, and the same per operation over the whole window.
import type { Span } from '../../model/span.js';
import { SpanKind, StatusCode } from '../../model/span.js';

export interface ServiceMetrics {
  service: string;
  /** bucket starts, ms since the epoch */
  time: number[];
  stepMs: number;
  requests: number[];
  requestsPerSecond: number[];
  /** errors / requests, 0–1; null for an empty bucket */
  errorRate: (number | null)[];
  /** ms; null for an empty bucket */
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  operations: { name: string; count: number; errors: number; p50: number; p95: number; p99: number }[];
}

const STEPS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000,
];

/** A round bucket width giving at most `maxBuckets` buckets over the window. */
export function chooseStepMs(windowMs: number, maxBuckets = 120): number {
  for (const s of STEPS_MS) if (windowMs / s <= maxBuckets) return s;
  return STEPS_MS[STEPS_MS.length - 1];
}

/** The `q` quantile (0–1) of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function entrySpans(spans: readonly Span[]): Span[] {
  const entries = spans.filter((s) => s.kind === SpanKind.Server || s.kind === SpanKind.Consumer);
  return entries.length > 0 ? entries : [...spans];
}

const ms = (s: Span) => Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e6;

export function buildServiceMetrics(
  service: string,
  spans: readonly Span[],
  window: { startMs: number; endMs: number; stepMs?: number },
): ServiceMetrics {
  const stepMs = window.stepMs ?? chooseStepMs(window.endMs - window.startMs);
  const first = Math.floor(window.startMs / stepMs) * stepMs;
  const count = Math.max(1, Math.ceil((window.endMs - first) / stepMs));
  const buckets: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  const ops = new Map<string, { durations: number[]; errors: number }>();
  for (const s of entrySpans(spans)) {
    const t = Number(s.startTimeUnixNano / 1_000_000n);
    const i = Math.floor((t - first) / stepMs);
    if (i < 0 || i >= count) continue;
    const d = ms(s);
    buckets[i].push(d);
    const error = s.status.code === StatusCode.Error;
    if (error) errors[i]++;
    let o = ops.get(s.name);
    if (o === undefined) {
      o = { durations: [], errors: 0 };
      ops.set(s.name, o);
    }
    o.durations.push(d);
    if (error) o.errors++;
  }
  const q = (b: number[], p: number) => (b.length === 0 ? null : quantile(b, p));
  for (const b of buckets) b.sort((x, y) => x - y);
  return {
    service,
    time: buckets.map((_, i) => first + i * stepMs),
    stepMs,
    requests: buckets.map((b) => b.length),
    requestsPerSecond: buckets.map((b) => b.length / (stepMs / 1000)),
    errorRate: buckets.map((b, i) => (b.length === 0 ? null : errors[i] / b.length)),
    p50: buckets.map((b) => q(b, 0.5)),
    p95: buckets.map((b) => q(b, 0.95)),
    p99: buckets.map((b) => q(b, 0.99)),
    operations: [...ops.entries()]
      .map(([name, o]) => {
        const d = o.durations.sort((x, y) => x - y);
        return {
          name,
          count: d.length,
          errors: o.errors,
          p50: quantile(d, 0.5),
          p95: quantile(d, 0.95),
          p99: quantile(d, 0.99),
        };
      })
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
  };
}
