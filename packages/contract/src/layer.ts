/**
 * The layers of a Kubernetes request that crosstrace stitches into one trace.
 * Every span carries its layer in the `crosstrace.layer` attribute (`LAYER_ATTRIBUTE`).
 *
 * @example
 * span.setAttribute(LAYER_ATTRIBUTE, Layer.App);
 */
export const Layer = {
  /** kube-apiserver, scheduler, kubelet, controllers, EndpointSlices, Events. */
  ControlPlane: 'control-plane',
  /** nginx / ingress-nginx, one SERVER span per request and one CLIENT span per upstream attempt. */
  Ingress: 'ingress',
  /** Application code instrumented with @crosstrace/tracer or any OpenTelemetry SDK. */
  App: 'app',
} as const;

/** One of the {@link Layer} values. */
export type Layer = (typeof Layer)[keyof typeof Layer];

const LAYERS: ReadonlySet<string> = new Set(Object.values(Layer));

/** True when `value` is one of the known {@link Layer} names. */
export function isLayer(value: unknown): value is Layer {
  return typeof value === 'string' && LAYERS.has(value);
}
