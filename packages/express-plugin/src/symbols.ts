// Private per-request state lives behind symbols (Fastify's lib/symbols.js habit).
/** The request's {@link RequestTrace}. */
export const kTrace: unique symbol = Symbol('crosstrace.trace');
