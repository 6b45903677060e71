// The search form's state as URL parameters (what jaeger-ui puts in its /search URL), and the
// collector query it becomes.
import { parseDuration } from './format.js';

export const LOOKBACKS: { value: string; label: string; us: number }[] = [
  { value: '5m', label: 'Last 5 minutes', us: 5 * 60e6 },
  { value: '15m', label: 'Last 15 minutes', us: 15 * 60e6 },
  { value: '30m', label: 'Last 30 minutes', us: 30 * 60e6 },
  { value: '1h', label: 'Last hour', us: 3600e6 },
  { value: '2h', label: 'Last 2 hours', us: 2 * 3600e6 },
  { value: '3h', label: 'Last 3 hours', us: 3 * 3600e6 },
  { value: '6h', label: 'Last 6 hours', us: 6 * 3600e6 },
  { value: '12h', label: 'Last 12 hours', us: 12 * 3600e6 },
  { value: '24h', label: 'Last 24 hours', us: 24 * 3600e6 },
  { value: '2d', label: 'Last 2 days', us: 2 * 86400e6 },
  { value: '7d', label: 'Last 7 days', us: 7 * 86400e6 },
  { value: '30d', label: 'Last 30 days', us: 30 * 86400e6 },
];

export const DEFAULT_LOOKBACK = '1h';
export const DEFAULT_LIMIT = 20;

export interface SearchForm {
  service: string;
  operation: string;
  /** logfmt: `http.response.status_code=502 k8s.pod.name=x` */
  tags: string;
  layer: string;
  lookback: string;
  /** µs since the epoch (custom range, or the resolved lookback) */
  start: string;
  end: string;
  minDuration: string;
  maxDuration: string;
  limit: string;
}

export function formFromParams(q: URLSearchParams): SearchForm {
  return {
    service: q.get('service') ?? '',
    operation: q.get('operation') ?? '',
    tags: q.get('tags') ?? '',
    layer: q.get('layer') ?? '',
    lookback: q.get('lookback') ?? DEFAULT_LOOKBACK,
    start: q.get('start') ?? '',
    end: q.get('end') ?? '',
    minDuration: q.get('minDuration') ?? '',
    maxDuration: q.get('maxDuration') ?? '',
    limit: q.get('limit') ?? String(DEFAULT_LIMIT),
  };
}

/** True once the user has submitted a search (the URL then carries its window). */
export function isSubmitted(q: URLSearchParams): boolean {
  return q.has('start') || q.has('end') || q.has('lookback');
}

/** Problems the form can state before asking the collector. */
export function validateForm(f: SearchForm): string | undefined {
  if (f.minDuration && parseDuration(f.minDuration) === undefined)
    return `min duration "${f.minDuration}" is not a duration such as 1.2s or 100ms`;
  if (f.maxDuration && parseDuration(f.maxDuration) === undefined)
    return `max duration "${f.maxDuration}" is not a duration such as 1.2s or 100ms`;
  const min = parseDuration(f.minDuration);
  const max = parseDuration(f.maxDuration);
  if (min !== undefined && max !== undefined && max < min) return 'max duration is below min duration';
  if (f.limit && !/^\d+$/.test(f.limit)) return 'limit must be a whole number';
  if (f.lookback === 'custom' && (!f.start || !f.end)) return 'a custom range needs a start and an end';
  if (f.start && f.end && Number(f.start) > Number(f.end)) return 'the range starts after it ends';
  return undefined;
}

/** URL parameters for a submitted form, the window resolved against `nowUs` for presets. */
export function paramsForSubmit(f: SearchForm, nowUs: number): Record<string, string | undefined> {
  let start = f.start;
  let end = f.end;
  if (f.lookback !== 'custom') {
    const lb = LOOKBACKS.find((l) => l.value === f.lookback) ?? LOOKBACKS[3];
    end = String(Math.floor(nowUs));
    start = String(Math.floor(nowUs - lb.us));
  }
  return {
    service: f.service || undefined,
    operation: f.operation || undefined,
    tags: f.tags.trim() || undefined,
    layer: f.layer || undefined,
    lookback: f.lookback,
    start,
    end,
    minDuration: f.minDuration.trim() || undefined,
    maxDuration: f.maxDuration.trim() || undefined,
    limit: f.limit || String(DEFAULT_LIMIT),
  };
}

function rfc3339(us: number): string {
  return new Date(us / 1000).toISOString();
}

/** `/api/v3/trace-summaries` parameters for a submitted search. */
export function summariesQuery(f: SearchForm, nowUs: number): Record<string, string | undefined> {
  const end = f.end ? Number(f.end) : nowUs;
  const lb = LOOKBACKS.find((l) => l.value === f.lookback) ?? LOOKBACKS[3];
  const start = f.start ? Number(f.start) : end - lb.us;
  return {
    'query.service_name': f.service || undefined,
    'query.span_name': f.operation || undefined,
    'query.attributes': f.tags.trim() || undefined,
    'query.layer': f.layer || undefined,
    'query.start_time_min': rfc3339(start),
    'query.start_time_max': rfc3339(end),
    'query.duration_min': f.minDuration.trim().replace(/\s+/g, '') || undefined,
    'query.duration_max': f.maxDuration.trim().replace(/\s+/g, '') || undefined,
    'query.num_traces': f.limit || String(DEFAULT_LIMIT),
  };
}
