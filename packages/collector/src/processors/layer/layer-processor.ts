import { Layer } from '@crosstrace/contract';
import type { TracesConsumer } from '../../consumer.js';
import type { SpanBatch } from '../../model/span.js';

const CONTROL_PLANE =
  /^(kube-apiserver|apiserver|kubelet|etcd|containerd|cri-o|kube-scheduler|kube-controller-manager|kube-proxy)\b/;
const INGRESS = /^(ingress-nginx|nginx)\b/;

/** The layer a span with no `crosstrace.layer` belongs to, from its service name. */
export function inferLayer(serviceName: string): string {
  const s = serviceName.toLowerCase();
  if (CONTROL_PLANE.test(s)) return Layer.ControlPlane;
  if (INGRESS.test(s)) return Layer.Ingress;
  return Layer.App;
}

export interface LayerProcessorOptions {
  next: TracesConsumer;
}

/**
 * Sets `span.layer` where the span and its resource carry no `crosstrace.layer`: kube-apiserver,
 * kubelet, etcd, containerd (and the other control-plane components) → control-plane,
 * ingress-nginx / nginx → ingress, anything else → app.
 *
 * @example
 * const layer = createLayerProcessor({ next: writer });
 * await layer.consume({ spans, receiver: 'otlp-http' });
 */
export function createLayerProcessor(options: LayerProcessorOptions): TracesConsumer {
  const { next } = options;
  return {
    consume(batch: SpanBatch): Promise<void> {
      for (const span of batch.spans) {
        if (span.layer === '') span.layer = inferLayer(span.serviceName);
      }
      return next.consume(batch);
    },
  };
}
