// The service map: which service calls which, from parent/child spans of the same trace (the
// stitched ingress → app edges included), with call and error counts, and each service's layer.
import type { Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import { parentSpanIdOf } from '../../storage/matching.js';

export interface ServiceMapNode {
  service: string;
  /** the layer most of its spans carry */
  layer: string;
  spanCount: number;
  errorCount: number;
}

export interface ServiceMapEdge {
  parent: string;
  child: string;
  callCount: number;
  /** calls whose child span failed */
  errorCount: number;
}

export interface ServiceMap {
  nodes: ServiceMapNode[];
  edges: ServiceMapEdge[];
}

/** The map of `spans` (any order, any traces): an edge per distinct parent → child service pair. */
export function buildServiceMap(spans: readonly Span[]): ServiceMap {
  const byTrace = new Map<string, Map<string, Span>>();
  for (const s of spans) {
    let m = byTrace.get(s.traceId);
    if (m === undefined) {
      m = new Map();
      byTrace.set(s.traceId, m);
    }
    m.set(s.spanId, s);
  }
  const nodes = new Map<string, ServiceMapNode & { layers: Map<string, number> }>();
  const edges = new Map<string, ServiceMapEdge>();
  for (const s of spans) {
    let n = nodes.get(s.serviceName);
    if (n === undefined) {
      n = { service: s.serviceName, layer: s.layer, spanCount: 0, errorCount: 0, layers: new Map() };
      nodes.set(s.serviceName, n);
    }
    n.spanCount++;
    const error = s.status.code === StatusCode.Error;
    if (error) n.errorCount++;
    n.layers.set(s.layer, (n.layers.get(s.layer) ?? 0) + 1);
    const parentId = parentSpanIdOf(s);
    if (parentId === '') continue;
    const parent = byTrace.get(s.traceId)?.get(parentId);
    if (parent === undefined || parent.serviceName === s.serviceName) continue;
    const key = `${parent.serviceName}\u0000${s.serviceName}`;
    let e = edges.get(key);
    if (e === undefined) {
      e = { parent: parent.serviceName, child: s.serviceName, callCount: 0, errorCount: 0 };
      edges.set(key, e);
    }
    e.callCount++;
    if (error) e.errorCount++;
  }
  return {
    nodes: [...nodes.values()]
      .map(({ layers, ...n }) => ({
        ...n,
        layer:
          [...layers.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? n.layer,
      }))
      .sort((a, b) => a.service.localeCompare(b.service)),
    edges: [...edges.values()].sort(
      (a, b) => a.parent.localeCompare(b.parent) || a.child.localeCompare(b.child),
    ),
  };
}
