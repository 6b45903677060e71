// Small facts about a span the rows and the detail panel show.
import type { Attr, TraceSpan } from './types.js';

export function attrValue(attrs: readonly Attr[], key: string): Attr['value'] {
  for (const a of attrs) if (a.key === key) return a.value;
  return undefined;
}

/** An nginx upstream attempt (the bridge's CLIENT span with the pod address). */
export function isAttempt(s: TraceSpan): boolean {
  return (
    s.layer === 'ingress' && s.kind === 'client' && attrValue(s.attributes, 'server.address') !== undefined
  );
}

/** "attempt 2 → 10.244.1.7:8080" for an upstream attempt. */
export function attemptLabel(s: TraceSpan): string | undefined {
  if (!isAttempt(s)) return undefined;
  const addr = attrValue(s.attributes, 'server.address');
  const port = attrValue(s.attributes, 'server.port');
  const resend = Number(attrValue(s.attributes, 'http.request.resend_count') ?? 0);
  return `attempt ${Number.isFinite(resend) ? resend + 1 : 1} → ${addr}${port !== undefined ? `:${port}` : ''}`;
}

/** The link to the lifecycle span of the pod that held an attempt's address. */
export function podLifecycleLink(s: TraceSpan) {
  return s.links.find((l) => l.linkType === 'pod-lifecycle');
}

/** `namespace/name` of the pod a lifecycle link names. */
export function linkPod(l: { attributes: Attr[] }): { namespace: string; name: string } | undefined {
  const name = attrValue(l.attributes, 'k8s.pod.name');
  const ns = attrValue(l.attributes, 'k8s.namespace.name');
  if (typeof name !== 'string') return undefined;
  return { namespace: typeof ns === 'string' ? ns : 'default', name };
}
