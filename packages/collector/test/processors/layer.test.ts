import t from 'tap';
import type { Span, SpanBatch } from '../../src/model/span.js';
import { createLayerProcessor, inferLayer } from '../../src/processors/layer/index.js';

t.test('layer from the service name when the span carries none', async (t) => {
  for (const [svc, layer] of [
    ['kube-apiserver', 'control-plane'],
    ['kubelet', 'control-plane'],
    ['etcd', 'control-plane'],
    ['containerd', 'control-plane'],
    ['ingress-nginx', 'ingress'],
    ['nginx', 'ingress'],
    ['frontend', 'app'],
    ['nginx-exporter-app', 'ingress'],
    ['my-kubelet-wrapper', 'app'],
  ] as const) {
    t.equal(inferLayer(svc), layer, svc);
  }
  const seen: SpanBatch[] = [];
  const p = createLayerProcessor({ next: { consume: async (b) => void seen.push(b) } });
  const spans = [
    { serviceName: 'kubelet', layer: '' },
    { serviceName: 'kubelet', layer: 'app' },
  ] as Span[];
  await p.consume({ spans, receiver: 'x' });
  t.equal(seen[0].spans[0].layer, 'control-plane');
  t.equal(seen[0].spans[1].layer, 'app', 'an explicit crosstrace.layer wins');
});
