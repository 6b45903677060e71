import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Where the {@link ConsoleSpanExporter} writes (default `process.stdout`). */
export interface ConsoleSpanExporterOptions {
  write?: (line: string) => void;
}

/** One span as the console exporter prints it. */
export function spanToJson(span: ReadableSpan): Record<string, unknown> {
  const sc = span.spanContext();
  return {
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: l.attributes,
    })),
    resource: span.resource.attributes,
  };
}

/**
 * Writes each span as one JSON line (for development). Never throws.
 *
 * @example
 * createTracer({ exporter: new ConsoleSpanExporter() });
 */
export class ConsoleSpanExporter implements SpanExporter {
  private readonly write: (line: string) => void;

  constructor(options: ConsoleSpanExporterOptions = {}) {
    this.write = options.write ?? ((line) => process.stdout.write(line));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      let out = '';
      for (const s of spans) out += `${JSON.stringify(spanToJson(s))}\n`;
      this.write(out);
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: err instanceof Error ? err : new Error(String(err)),
      });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
