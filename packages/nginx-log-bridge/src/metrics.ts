import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import type { BadLineReason } from './parse/types.js';

/** The bridge's counters, mirrored as plain numbers for the summary. */
export interface BridgeCounts {
  lines: number;
  badLines: Partial<Record<BadLineReason, number>>;
  stderrLines: number;
  spans: number;
  batches: number;
  exportFailures: number;
  rejectedSpans: number;
  rotations: number;
  truncations: number;
  /** Files being followed now. */
  files: number;
}

/**
 * Counters of one bridge: plain numbers for the summary and Prometheus metrics in their own
 * registry (`crosstrace_bridge_*`).
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  readonly counts: BridgeCounts = {
    lines: 0,
    badLines: {},
    stderrLines: 0,
    spans: 0,
    batches: 0,
    exportFailures: 0,
    rejectedSpans: 0,
    rotations: 0,
    truncations: 0,
    files: 0,
  };
  private readonly linesTotal = this.counter('crosstrace_bridge_lines_total', 'Access-log lines read');
  private readonly badTotal = new Counter({
    name: 'crosstrace_bridge_bad_lines_total',
    help: 'Lines that did not become spans, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly stderrTotal = this.counter(
    'crosstrace_bridge_stderr_lines_total',
    'Container stderr lines skipped',
  );
  private readonly spansTotal = this.counter('crosstrace_bridge_spans_exported_total', 'Spans acknowledged');
  private readonly batchesTotal = this.counter(
    'crosstrace_bridge_batches_exported_total',
    'Batches acknowledged',
  );
  private readonly failuresTotal = this.counter(
    'crosstrace_bridge_export_failures_total',
    'Failed export attempts',
  );
  private readonly rejectedTotal = this.counter(
    'crosstrace_bridge_spans_rejected_total',
    'Spans rejected permanently',
  );
  private readonly rotationsTotal = this.counter(
    'crosstrace_bridge_rotations_total',
    'Rotations by rename seen',
  );
  private readonly truncationsTotal = this.counter('crosstrace_bridge_truncations_total', 'Truncations seen');
  readonly filesGauge = new Gauge({
    name: 'crosstrace_bridge_files',
    help: 'Files being followed',
    registers: [this.registry],
  });

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  line(n = 1): void {
    this.counts.lines += n;
    this.linesTotal.inc(n);
  }

  bad(reason: BadLineReason): void {
    this.counts.badLines[reason] = (this.counts.badLines[reason] ?? 0) + 1;
    this.badTotal.inc({ reason });
  }

  stderr(): void {
    this.counts.stderrLines++;
    this.stderrTotal.inc();
  }

  exported(spans: number): void {
    this.counts.spans += spans;
    this.counts.batches++;
    this.spansTotal.inc(spans);
    this.batchesTotal.inc();
  }

  failure(): void {
    this.counts.exportFailures++;
    this.failuresTotal.inc();
  }

  rejected(spans: number): void {
    this.counts.rejectedSpans += spans;
    this.rejectedTotal.inc(spans);
  }

  rotation(): void {
    this.counts.rotations++;
    this.rotationsTotal.inc();
  }

  truncation(): void {
    this.counts.truncations++;
    this.truncationsTotal.inc();
  }

  files(n: number): void {
    this.counts.files = n;
    this.filesGauge.set(n);
  }

  /** Total bad lines over every reason. */
  get badLineTotal(): number {
    return Object.values(this.counts.badLines).reduce((a, b) => a + (b ?? 0), 0);
  }
}

/**
 * Serves `GET /metrics` (Prometheus text format) on `host:port`; port 0 picks a free port.
 *
 * @example
 * const { server, port } = await serveMetrics(metrics, { port: 9464 });
 */
export async function serveMetrics(
  metrics: BridgeMetrics,
  options: { port: number; host?: string },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
