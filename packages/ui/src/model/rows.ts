// Which spans are rows, given collapsed subtrees and an optional "matches only" filter. The row
// list is rebuilt on those changes only (a typed array, no objects); scrolling and hovering read it.
import type { Trace } from './types.js';

/**
 * Row order: depth-first, skipping the descendants of collapsed spans; with `only`, just the
 * spans flagged there.
 */
export function visibleRows(trace: Trace, collapsed: ReadonlySet<number>, only?: Uint8Array): Int32Array {
  const { spans } = trace;
  const out = new Int32Array(spans.length);
  let k = 0;
  if (only !== undefined) {
    for (let j = 0; j < spans.length; j++) if (only[j]) out[k++] = j;
    return out.subarray(0, k);
  }
  for (let j = 0; j < spans.length; ) {
    out[k++] = j;
    j = collapsed.has(j) ? spans[j].subtreeEnd + 1 : j + 1;
  }
  return out.subarray(0, k);
}

/** "route GET /route ×10 · mysql SQL SELECT ×2" for the descendants of span `j`. */
export function subtreeSummary(trace: Trace, j: number, max = 2): string {
  const counts = new Map<string, number>();
  const { spans } = trace;
  for (let i = j + 1; i <= spans[j].subtreeEnd; i++) {
    const key = `${spans[i].service} ${spans[i].name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const parts = top.slice(0, max).map(([k, c]) => (c > 1 ? `${k} ×${c}` : k));
  const rest = top.slice(max).reduce((n, [, c]) => n + c, 0);
  if (rest > 0) parts.push(`+${rest} more`);
  return parts.join(' · ');
}

/** Spans with children, at depth < `depth` (jaeger-ui's "collapse one level" steps). */
export function parentsAboveDepth(trace: Trace, depth: number): number[] {
  const out: number[] = [];
  for (const s of trace.spans) if (s.childCount > 0 && s.depth < depth) out.push(s.index);
  return out;
}

/** The deepest depth at which a visible span still has expanded children. */
export function deepestExpandedDepth(trace: Trace, collapsed: ReadonlySet<number>): number {
  let deepest = -1;
  const { spans } = trace;
  for (let j = 0; j < spans.length; ) {
    const s = spans[j];
    if (s.childCount > 0 && !collapsed.has(j) && s.depth > deepest) deepest = s.depth;
    j = collapsed.has(j) ? s.subtreeEnd + 1 : j + 1;
  }
  return deepest;
}

/** The shallowest depth at which a visible span is collapsed. */
export function shallowestCollapsedDepth(trace: Trace, collapsed: ReadonlySet<number>): number {
  let shallowest = Number.POSITIVE_INFINITY;
  for (const j of collapsed) {
    const d = trace.spans[j]?.depth ?? Number.POSITIVE_INFINITY;
    if (d < shallowest && isVisible(trace, collapsed, j)) shallowest = d;
  }
  return shallowest;
}

/** True when no ancestor of `j` is collapsed. O(depth). */
export function isVisible(trace: Trace, collapsed: ReadonlySet<number>, j: number): boolean {
  for (let p = trace.spans[j].parentIndex; p >= 0; p = trace.spans[p].parentIndex)
    if (collapsed.has(p)) return false;
  return true;
}
