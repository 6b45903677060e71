/**
 * The span attribute that holds a span's layer (one of the `Layer` values). Every crosstrace
 * package writes it; the collector files spans by it.
 */
export const LAYER_ATTRIBUTE = 'crosstrace.layer';

/**
 * The span attribute that holds the ingress request id (`X-Request-ID`, ingress-nginx's `$req_id`)
 * as OpenTelemetry records a request header: a one-element string array. The express plugin and
 * the nginx bridge write it, the collector's stitching reads it.
 */
export const REQUEST_ID_ATTRIBUTE = 'http.request.header.x-request-id';
