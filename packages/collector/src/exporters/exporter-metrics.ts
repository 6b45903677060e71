import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeliveryStats } from './queue/delivery.js';

/** What an exporter shows of itself. */
export interface ExporterSource {
  readonly stats: DeliveryStats;
  /** Rows (payloads) and bytes waiting in its queue. */
  depth(): { spans: number; bytes: number };
  /** Destinations (gateways), when it has several. */
  readonly members?: readonly string[];
}

/**
 * Registers an exporter's metrics, read at scrape time: `crosstrace_exporter_sent_items_total`,
 * `crosstrace_exporter_retries_total`, `crosstrace_exporter_dropped_items_total`,
 * `crosstrace_exporter_queue_rows`, `crosstrace_exporter_queue_bytes`, `crosstrace_exporter_members`,
 * each labelled `exporter`.
 *
 * @example
 * registerExporterMetrics(metrics.registry, 'loadbalancing', forwarder);
 */
export function registerExporterMetrics(registry: Registry, exporter: string, source: ExporterSource): void {
  const counted = (name: string, help: string, read: (s: DeliveryStats) => number) => {
    let last = 0;
    new Counter({
      name,
      help,
      labelNames: ['exporter'],
      registers: [registry],
      collect() {
        const now = read(source.stats);
        if (now > last) this.inc({ exporter }, now - last);
        last = now;
      },
    });
  };
  counted(
    'crosstrace_exporter_sent_items_total',
    'Spans or documents a destination acknowledged.',
    (s) => s.items,
  );
  counted(
    'crosstrace_exporter_retries_total',
    'Sends answered with a retryable refusal or failure.',
    (s) => s.retries,
  );
  counted(
    'crosstrace_exporter_dropped_items_total',
    'Spans or documents refused for good (4xx).',
    (s) => s.dropped,
  );
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['exporter'],
      registers: [registry],
      collect() {
        this.set({ exporter }, read());
      },
    });
  gauge(
    'crosstrace_exporter_queue_rows',
    'Payloads waiting in the persistent queue.',
    () => source.depth().spans,
  );
  gauge(
    'crosstrace_exporter_queue_bytes',
    'Bytes waiting in the persistent queue.',
    () => source.depth().bytes,
  );
  if (source.members !== undefined)
    gauge('crosstrace_exporter_members', 'Gateways on the ring.', () => source.members?.length ?? 0);
}
