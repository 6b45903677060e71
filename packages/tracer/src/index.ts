export { isLayer, LAYER_ATTRIBUTE, Layer } from './api/layer.js';
export type { IngressSpanIds, RequestIdContext } from './propagation/request-id.js';
export { contextFromRequestId, ingressSpanIds } from './propagation/request-id.js';
