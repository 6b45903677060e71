// Compare two traces as jaeger-ui does: spans are grouped by their path of service + operation
// from the root; each node of the union tree says how many spans each trace has there.
import type { Layer, Trace } from './types.js';

export interface DiffNode {
  key: string;
  service: string;
  operation: string;
  layer: Layer;
  depth: number;
  a: number;
  b: number;
  /** mean duration in each trace, µs (0 when absent) */
  aMeanUs: number;
  bMeanUs: number;
  errorsA: number;
  errorsB: number;
  children: DiffNode[];
}

interface PathStats {
  count: number;
  totalUs: number;
  errors: number;
  depth: number;
  service: string;
  operation: string;
  layer: Layer;
  parent: string;
}

function paths(trace: Trace): Map<string, PathStats> {
  const { spans } = trace;
  const keyOf: string[] = new Array(spans.length);
  const out = new Map<string, PathStats>();
  for (const s of spans) {
    const parentKey = s.parentIndex >= 0 ? keyOf[s.parentIndex] : '';
    const key = `${parentKey}\u0001${s.service}\u0000${s.name}`;
    keyOf[s.index] = key;
    let e = out.get(key);
    if (e === undefined) {
      e = {
        count: 0,
        totalUs: 0,
        errors: 0,
        depth: s.depth,
        service: s.service,
        operation: s.name,
        layer: s.layer,
        parent: parentKey,
      };
      out.set(key, e);
    }
    e.count++;
    e.totalUs += s.durationUs;
    if (s.error) e.errors++;
  }
  return out;
}

/** The union tree of both traces' paths, roots first, children in first-seen order. */
export function diffTraces(a: Trace, b: Trace): DiffNode[] {
  const pa = paths(a);
  const pb = paths(b);
  const nodes = new Map<string, DiffNode>();
  const roots: DiffNode[] = [];
  const keys = [...pa.keys(), ...[...pb.keys()].filter((k) => !pa.has(k))];
  for (const key of keys) {
    const ea = pa.get(key);
    const eb = pb.get(key);
    const e = (ea ?? eb)!;
    const node: DiffNode = {
      key,
      service: e.service,
      operation: e.operation,
      layer: e.layer,
      depth: e.depth,
      a: ea?.count ?? 0,
      b: eb?.count ?? 0,
      aMeanUs: ea ? ea.totalUs / ea.count : 0,
      bMeanUs: eb ? eb.totalUs / eb.count : 0,
      errorsA: ea?.errors ?? 0,
      errorsB: eb?.errors ?? 0,
      children: [],
    };
    nodes.set(key, node);
    const parent = nodes.get(e.parent);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The union tree as a flat list in depth-first order. */
export function flattenDiff(roots: DiffNode[]): DiffNode[] {
  const out: DiffNode[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out;
}
