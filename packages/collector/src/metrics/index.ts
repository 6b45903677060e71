export type { CollectorMetrics, CollectorMetricsOptions } from './collector-metrics.js';
export { createCollectorMetrics } from './collector-metrics.js';
