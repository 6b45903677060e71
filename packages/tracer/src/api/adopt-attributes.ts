/**
 * A `SpanOptions` key (`Symbol.for`, shared by every copy of this package) by which the caller of
 * `startSpan` hands its `attributes` object over: a plain object of data properties, built for this
 * span alone and never touched again by the caller. A crosstrace span then keeps that object as its
 * attribute bag instead of copying it, when every value is within the span limits (otherwise it is
 * copied as usual). Other tracers ignore the key.
 *
 * @example
 * const attributes = { 'crosstrace.layer': 'app', 'http.request.method': 'GET' };
 * tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes, [ADOPT_ATTRIBUTES]: true });
 */
export const ADOPT_ATTRIBUTES: unique symbol = Symbol.for('crosstrace.tracer.adopt-attributes');
