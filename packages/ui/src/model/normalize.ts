// One pass over a trace's spans, once: parents before children (depth-first, siblings by start),
// depth, subtree extent, offsets, errors and diagnoses. Every view renders from the result.
import { diagnosesOfSpan } from './diagnosis.js';
import type { Diagnosis, Layer, RawSpan, Trace, TraceSpan } from './types.js';

function httpStatusOf(s: RawSpan): number | undefined {
  for (const a of s.attributes) {
    if (a.key === 'http.response.status_code' || a.key === 'http.status_code') {
      const n = Number(a.value);
      return Number.isFinite(n) && n > 0 ? n : undefined;
    }
  }
  return undefined;
}

/**
 * Builds the trace model from its spans (any order; duplicates by span id keep the last).
 * O(n log n) for the sort by start, O(n) otherwise.
 *
 * @example
 * const trace = normalizeTrace(spansFromOtlp(await res.json()));
 * trace.spans[0].depth; // 0: the root
 */
export function normalizeTrace(input: readonly RawSpan[], traceID?: string): Trace {
  const unique = new Map<string, RawSpan>();
  for (const s of input) unique.set(s.spanID, s);
  const raw = [...unique.values()].sort((a, b) => a.startUs - b.startUs || (a.spanID < b.spanID ? -1 : 1));
  const n = raw.length;
  const pos = new Map<string, number>();
  for (let i = 0; i < n; i++) pos.set(raw[i].spanID, i);

  // parent of each span (in `raw` order) and how it hangs from it
  const parent = new Int32Array(n).fill(-1);
  const refType: TraceSpan['refType'][] = new Array(n).fill('ROOT');
  let orphanCount = 0;
  for (let i = 0; i < n; i++) {
    const s = raw[i];
    let p = s.parentSpanID !== '' ? (pos.get(s.parentSpanID) ?? -1) : -1;
    if (p >= 0 && p !== i) {
      parent[i] = p;
      refType[i] = 'CHILD_OF';
      continue;
    }
    if (s.parentSpanID !== '') orphanCount++;
    for (const l of s.links) {
      if (l.traceID !== s.traceID || (l.refType !== 'child_of' && l.refType !== 'follows_from')) continue;
      p = pos.get(l.spanID) ?? -1;
      if (p >= 0 && p !== i) {
        parent[i] = p;
        refType[i] = l.refType === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
        break;
      }
    }
  }

  // children as linked lists in start order (raw is sorted by start)
  const firstChild = new Int32Array(n).fill(-1);
  const lastChild = new Int32Array(n).fill(-1);
  const nextSibling = new Int32Array(n).fill(-1);
  const childCount = new Int32Array(n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = parent[i];
    if (p < 0) {
      roots.push(i);
      continue;
    }
    childCount[p]++;
    if (firstChild[p] < 0) firstChild[p] = i;
    else nextSibling[lastChild[p]] = i;
    lastChild[p] = i;
  }

  // depth-first order; spans caught in a parent cycle are never reached from a root and are
  // appended as roots afterwards
  const order = new Int32Array(n);
  const depth = new Int32Array(n);
  const visited = new Uint8Array(n);
  let k = 0;
  const stack: number[] = [];
  const walk = (root: number) => {
    stack.push(root);
    depth[root] = 0;
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (visited[i]) continue;
      visited[i] = 1;
      order[k++] = i;
      // push children in reverse start order so the earliest is visited first
      const kids: number[] = [];
      for (let c = firstChild[i]; c >= 0; c = nextSibling[c]) kids.push(c);
      for (let j = kids.length - 1; j >= 0; j--) {
        depth[kids[j]] = depth[i] + 1;
        stack.push(kids[j]);
      }
    }
  };
  for (const r of roots) walk(r);
  for (let i = 0; i < n; i++) {
    if (!visited[i]) {
      parent[i] = -1;
      refType[i] = 'ROOT';
      walk(i);
    }
  }

  const indexOf = new Int32Array(n);
  for (let j = 0; j < n; j++) indexOf[order[j]] = j;
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = Number.NEGATIVE_INFINITY;
  for (const s of raw) {
    if (s.startUs < startUs) startUs = s.startUs;
    if (s.startUs + s.durationUs > endUs) endUs = s.startUs + s.durationUs;
  }
  if (n === 0) startUs = endUs = 0;

  const spans: TraceSpan[] = new Array(n);
  const byId = new Map<string, number>();
  const services = new Map<string, { name: string; layer: Layer; count: number; errors: number }>();
  const layerCounts: Record<Layer, number> = { ingress: 0, app: 0, 'control-plane': 0 };
  const diagnoses: Diagnosis[] = [];
  let errorCount = 0;
  let maxDepth = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const s = raw[i];
    const error = s.statusCode === 'ERROR';
    const ds = diagnosesOfSpan(s).map((d) => ({ ...d, spanIndex: j }));
    const t: TraceSpan = {
      ...s,
      index: j,
      depth: depth[i],
      parentIndex: parent[i] >= 0 ? indexOf[parent[i]] : -1,
      refType: refType[i],
      subtreeEnd: j,
      childCount: childCount[i],
      offsetUs: s.startUs - startUs,
      error,
      httpStatus: httpStatusOf(s),
      diagnoses: ds,
    };
    spans[j] = t;
    byId.set(s.spanID, j);
    if (depth[i] > maxDepth) maxDepth = depth[i];
    if (error) errorCount++;
    layerCounts[s.layer]++;
    for (const d of ds) diagnoses.push(d);
    let sv = services.get(s.service);
    if (sv === undefined) {
      sv = { name: s.service, layer: s.layer, count: 0, errors: 0 };
      services.set(s.service, sv);
    }
    sv.count++;
    if (error) sv.errors++;
  }
  // subtree ends, children after parents in `spans`: walk backwards
  for (let j = n - 1; j >= 0; j--) {
    const p = spans[j].parentIndex;
    if (p >= 0 && spans[j].subtreeEnd > spans[p].subtreeEnd) spans[p].subtreeEnd = spans[j].subtreeEnd;
  }
  return {
    traceID: traceID ?? spans[0]?.traceID ?? '',
    spans,
    startUs,
    durationUs: Math.max(0, endUs - startUs),
    byId,
    services: [...services.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
    layerCounts,
    errorCount,
    diagnoses,
    maxDepth,
    orphanCount,
    rootName: spans[0]?.name ?? '',
    rootService: spans[0]?.service ?? '',
  };
}

/** Groups spans of several traces by trace id (files may hold many traces). */
export function splitByTrace(spans: readonly RawSpan[]): Map<string, RawSpan[]> {
  const out = new Map<string, RawSpan[]>();
  for (const s of spans) {
    const list = out.get(s.traceID);
    if (list === undefined) out.set(s.traceID, [s]);
    else list.push(s);
  }
  return out;
}
