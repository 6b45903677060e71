import type { FastifyInstance } from 'fastify';
import type { SpanStore } from '../storage/span-store.js';
import { jaegerRoutes } from './jaeger/routes.js';
import { v3Routes } from './v3/routes.js';

export type {
  CrosstraceRoutesOptions,
  ServiceMap,
  ServiceMapEdge,
  ServiceMapNode,
  ServiceMetrics,
} from './crosstrace/index.js';
export type {
  JaegerError,
  JaegerKeyValue,
  JaegerLog,
  JaegerProcess,
  JaegerReference,
  JaegerResponse,
  JaegerSpan,
  JaegerTrace,
} from './jaeger/jaeger-model.js';
export { parseGoDuration, parseLogfmt, parseTags, parseTraceId } from './jaeger/params.js';
export { toJaegerTrace } from './jaeger/to-jaeger.js';
export { toOtlpTracesData } from './v3/to-otlp.js';
export type { LayerSummary, ServiceSummary, TraceSummary } from './v3/trace-summary.js';
export { summarizeTrace } from './v3/trace-summary.js';

export interface QueryRoutesOptions {
  store: SpanStore;
  /** Clock in ms for defaults such as `end = now` (tests). */
  now?: () => number;
}

/**
 * Registers Jaeger's legacy JSON API (`/api/...`) and `/api/v3/...` on the query app, each in its
 * own encapsulated plugin (their error handlers answer in Jaeger's shapes and touch no other
 * route). The routes exist once the app is ready (`await app.ready()`, `listen()` or `inject()`).
 *
 * @example
 * const app = Fastify();
 * registerQueryRoutes(app, { store: createMemoryStore() });
 * const res = await app.inject('/api/services');
 */
export function registerQueryRoutes(app: FastifyInstance, opts: QueryRoutesOptions): void {
  app.register(jaegerRoutes, { store: opts.store, now: opts.now });
  app.register(v3Routes, { store: opts.store });
}
