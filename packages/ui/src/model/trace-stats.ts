// The trace statistics view: per service and operation, count, total, self time (the span's time
// not covered by its children), min/avg/max. Self time needs each span's children's union: one
// sort per parent, O(n log n) in all.
import { directChildren } from './critical-path.js';
import type { Layer, Trace } from './types.js';

export interface StatsRow {
  service: string;
  operation: string;
  layer: Layer;
  count: number;
  errors: number;
  totalUs: number;
  selfUs: number;
  minUs: number;
  maxUs: number;
}

/** Self time of every span, µs. */
export function selfTimes(trace: Trace): Float64Array {
  const { spans } = trace;
  const self = new Float64Array(spans.length);
  for (const s of spans) {
    const start = s.offsetUs;
    const end = s.offsetUs + s.durationUs;
    if (s.childCount === 0) {
      self[s.index] = s.durationUs;
      continue;
    }
    const iv = directChildren(trace, s.index)
      .map((c) => [
        Math.max(start, spans[c].offsetUs),
        Math.min(end, spans[c].offsetUs + spans[c].durationUs),
      ])
      .filter(([a, b]) => b > a)
      .sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let curA = -1;
    let curB = -1;
    for (const [a, b] of iv) {
      if (a > curB) {
        covered += curB - curA;
        curA = a;
        curB = b;
      } else if (b > curB) curB = b;
    }
    covered += curB - curA;
    self[s.index] = Math.max(0, s.durationUs - covered);
  }
  return self;
}

/** Rows per service + operation (or per service alone with `byService`), by total time descending. */
export function traceStats(trace: Trace, opts: { byService?: boolean } = {}): StatsRow[] {
  const self = selfTimes(trace);
  const rows = new Map<string, StatsRow>();
  for (const s of trace.spans) {
    const key = opts.byService ? s.service : `${s.service}\u0000${s.name}`;
    let r = rows.get(key);
    if (r === undefined) {
      r = {
        service: s.service,
        operation: opts.byService ? '' : s.name,
        layer: s.layer,
        count: 0,
        errors: 0,
        totalUs: 0,
        selfUs: 0,
        minUs: Number.POSITIVE_INFINITY,
        maxUs: 0,
      };
      rows.set(key, r);
    }
    r.count++;
    if (s.error) r.errors++;
    r.totalUs += s.durationUs;
    r.selfUs += self[s.index];
    if (s.durationUs < r.minUs) r.minUs = s.durationUs;
    if (s.durationUs > r.maxUs) r.maxUs = s.durationUs;
  }
  return [...rows.values()].sort((a, b) => b.totalUs - a.totalUs);
}
