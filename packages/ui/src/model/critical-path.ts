// The critical path (as jaeger-ui draws it): walking back from the end of each span, the child
// that finished last holds the path, then the last one that finished before that child started,
// and so on; children overlapping the one on the path are not on it, and the gaps are the span's
// own time. Children ending after their parent (async work) count until the parent's end.
// Computed once per trace, O(n log n).
import type { Trace } from './types.js';

/** Per span index: its segments on the critical path, as [startUs, endUs] offsets in the trace. */
export type CriticalPath = Map<number, Array<[number, number]>>;

export function directChildren(trace: Trace, j: number): number[] {
  const out: number[] = [];
  const end = trace.spans[j].subtreeEnd;
  for (let c = j + 1; c <= end; c = trace.spans[c].subtreeEnd + 1) out.push(c);
  return out;
}

export function criticalPath(trace: Trace): CriticalPath {
  const out: CriticalPath = new Map();
  const add = (j: number, a: number, b: number) => {
    if (b <= a) return;
    const list = out.get(j);
    if (list === undefined) out.set(j, [[a, b]]);
    else list.push([a, b]);
  };
  const { spans } = trace;
  const tasks: Array<[number, number]> = [];
  for (let r = 0; r < spans.length; r = spans[r].subtreeEnd + 1) {
    tasks.push([r, spans[r].offsetUs + spans[r].durationUs]);
  }
  while (tasks.length > 0) {
    const [j, windowEnd] = tasks.pop()!;
    const s = spans[j];
    const start = s.offsetUs;
    let cursor = Math.min(s.offsetUs + s.durationUs, windowEnd);
    const end = cursor;
    const endOf = (c: number) => Math.min(spans[c].offsetUs + spans[c].durationUs, end);
    const kids = directChildren(trace, j).sort((a, b) => endOf(b) - endOf(a));
    for (const c of kids) {
      if (cursor <= start) break;
      const cs = spans[c].offsetUs;
      const ce = endOf(c);
      if (ce > cursor || cs >= cursor || ce <= start) continue;
      add(j, ce, cursor);
      tasks.push([c, ce]);
      cursor = Math.max(cs, start);
    }
    add(j, start, cursor);
  }
  for (const list of out.values()) list.sort((a, b) => a[0] - b[0]);
  return out;
}
