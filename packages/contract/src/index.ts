// @crosstrace/contract: what every crosstrace package agrees on. No dependencies.

export { LAYER_ATTRIBUTE, REQUEST_ID_ATTRIBUTE } from './attributes.js';
export { isLayer, Layer } from './layer.js';
export type { IngressSpanIds, RequestIdContext } from './request-id.js';
export { contextFromRequestId, ingressSpanIdBytes, ingressSpanIds } from './request-id.js';
