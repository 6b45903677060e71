// One pass over a trace's spans, once: parents before children (depth-first, siblings by start),
// depth, subtree extent, offsets, errors and diagnoses. Every view renders from the result.
import { diagnosesOfSpan } from './diagnosis.js';
import { type Diagnosis, type Layer, NONE, type RawSpan, type Trace, type TraceSpan } from './types.js';

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
 * O(n log n) for the sort by start, O(n) otherwise. The given span objects become the trace's
 * spans (normalised in place).
 *
 * @example
 * const trace = normalizeTrace(spansFromOtlp(await res.json()));
 * trace.spans[0].depth; // 0: the root
 */
export function normalizeTrace(input: readonly RawSpan[], traceID?: string): Trace {
  // one Map for the whole pass: span id → position in start order, later → final index
  const pos = new Map<string, number>();
  const kept: RawSpan[] = [];
  for (const s of input) {
    const at = pos.get(s.spanID);
    if (at === undefined) {
      pos.set(s.spanID, kept.length);
      kept.push(s);
    } else kept[at] = s;
  }
  const raw = sortByStart(kept);
  const n = raw.length;
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
      const from = stack.length;
      for (let c = firstChild[i]; c >= 0; c = nextSibling[c]) {
        depth[c] = depth[i] + 1;
        stack.push(c);
      }
      for (let a = from, b = stack.length - 1; a < b; a++, b--) {
        const x = stack[a];
        stack[a] = stack[b];
        stack[b] = x;
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

  // the input objects become the trace's spans: fields are written in place (readers create
  // them with every TraceSpan field present, see newSpan), never copied
  const spans: TraceSpan[] = new Array(n);
  const byId = pos;
  const services = new Map<string, { name: string; layer: Layer; count: number; errors: number }>();
  const layerCounts: Record<Layer, number> = { ingress: 0, app: 0, 'control-plane': 0 };
  const diagnoses: Diagnosis[] = [];
  let errorCount = 0;
  let maxDepth = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const t = raw[i] as TraceSpan;
    const error = t.statusCode === 'ERROR';
    t.index = j;
    t.depth = depth[i];
    t.parentIndex = parent[i] >= 0 ? indexOf[parent[i]] : -1;
    t.refType = refType[i];
    t.subtreeEnd = j;
    t.childCount = childCount[i];
    t.offsetUs = t.startUs - startUs;
    t.error = error;
    t.httpStatus = httpStatusOf(t);
    if (t.events.length > 0) {
      const ds = diagnosesOfSpan(t);
      if (ds.length > 0) {
        t.diagnoses = ds.map((d) => ({ ...d, spanIndex: j }));
        for (const d of t.diagnoses) diagnoses.push(d);
      } else t.diagnoses = NONE as unknown as Diagnosis[];
    } else t.diagnoses = NONE as unknown as Diagnosis[];
    spans[j] = t;
    byId.set(t.spanID, j);
    if (depth[i] > maxDepth) maxDepth = depth[i];
    if (error) errorCount++;
    layerCounts[t.layer]++;
    let sv = services.get(t.service);
    if (sv === undefined) {
      sv = { name: t.service, layer: t.layer, count: 0, errors: 0 };
      services.set(t.service, sv);
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

/**
 * Spans in start order (ties keep input order). Packs (start offset, input position) into one
 * float and sorts the floats natively, which is far cheaper than a comparator over objects for
 * 100,000 spans; traces too long to pack exactly fall back to the comparator.
 */
function sortByStart(spans: readonly RawSpan[]): RawSpan[] {
  const n = spans.length;
  if (n === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    if (s.startUs < min) min = s.startUs;
    if (s.startUs > max) max = s.startUs;
  }
  const slots = 2 ** Math.ceil(Math.log2(n + 1));
  if ((max - min + 1) * slots >= Number.MAX_SAFE_INTEGER || !Number.isFinite(max - min)) {
    return spans
      .map((s, i) => [s, i] as const)
      .sort((a, b) => a[0].startUs - b[0].startUs || a[1] - b[1])
      .map((x) => x[0]);
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.round(spans[i].startUs - min) * slots + i;
  keys.sort();
  const out: RawSpan[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = spans[keys[k] % slots];
  return out;
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
