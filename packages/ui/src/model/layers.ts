import type { Attr, Layer } from './types.js';

/** Short lane labels, as the trace page's lane column shows them. */
export const LAYER_LABEL: Record<Layer, string> = {
  ingress: 'INGR',
  app: 'APP',
  'control-plane': 'CTRL',
};

export const LAYER_TITLE: Record<Layer, string> = {
  ingress: 'ingress',
  app: 'app',
  'control-plane': 'control plane',
};

const CONTROL_PLANE_SERVICES = new Set([
  'kube-apiserver',
  'kubelet',
  'etcd',
  'containerd',
  'kube-scheduler',
  'kube-controller-manager',
  'kube-proxy',
  'default-scheduler',
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
]);

/** A layer name as stored in `crosstrace.layer`; unknown values count as app. */
export function asLayer(v: unknown): Layer | undefined {
  if (v === 'ingress' || v === 'app' || v === 'control-plane') return v;
  return undefined;
}

function attr(attrs: readonly Attr[], key: string): unknown {
  for (const a of attrs) if (a.key === key) return a.value;
  return undefined;
}

/**
 * The layer of a span: `crosstrace.layer` on the span or its resource, else what the collector's
 * layer processor would say from the service name (for traces opened from files).
 */
export function layerOf(attributes: readonly Attr[], resource: readonly Attr[], service: string): Layer {
  const l = asLayer(attr(attributes, 'crosstrace.layer')) ?? asLayer(attr(resource, 'crosstrace.layer'));
  if (l !== undefined) return l;
  const s = service.toLowerCase();
  if (CONTROL_PLANE_SERVICES.has(s) || s.endsWith('-controller') || s.startsWith('kube-'))
    return 'control-plane';
  if (s.includes('nginx') || s.includes('ingress')) return 'ingress';
  return 'app';
}
