import type { FastifyInstance } from 'fastify';
import type { CollectorMetrics } from '../metrics/index.js';

export interface HealthOptions {
  metrics: CollectorMetrics;
  /** False while starting or shutting down (readyz answers 503). */
  isReady: () => boolean;
}

export const HEALTH_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

/** GET /healthz (the process runs), /readyz (accepting data), /metrics (Prometheus text). */
export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  const { metrics, isReady } = options;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
