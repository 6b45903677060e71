import type {
  Span as ApiSpan,
  Tracer as ApiTracer,
  Context,
  TracerOptions,
  TracerProvider,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';
import { CrosstraceOtelTracer } from './otel-tracer.js';
import type { SpanFactory } from './span-factory.js';

/**
 * The `@opentelemetry/api` `TracerProvider` of a crosstrace tracer. `createTracer` registers it
 * globally, so `trace.getTracer(...)` and instrumentations land in the same traces.
 */
export class CrosstraceTracerProvider implements TracerProvider {
  private readonly factory: SpanFactory;
  private readonly tracers = new Map<string, CrosstraceOtelTracer>();
  private readonly onStart: ((span: ApiSpan, ctx: Context) => void) | undefined;
  private readonly flush: () => Promise<void>;
  private readonly stop: () => Promise<void>;

  constructor(
    factory: SpanFactory,
    processor: SpanProcessor,
    callOnStart: boolean,
    flush: () => Promise<void>,
    stop: () => Promise<void>,
  ) {
    this.factory = factory;
    this.flush = flush;
    this.stop = stop;
    this.onStart = callOnStart
      ? (span, ctx) => {
          try {
            processor.onStart(span as never, ctx);
          } catch (err) {
            reportOnce(ErrorCode.InternalError, 'span processor onStart threw', 'onStart', err);
          }
        }
      : undefined;
  }

  getTracer(name: string, version?: string, options?: TracerOptions): ApiTracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let t = this.tracers.get(key);
    if (t === undefined) {
      t = new CrosstraceOtelTracer(
        this.factory,
        { name: String(name ?? ''), version, schemaUrl: options?.schemaUrl },
        this.onStart,
      );
      this.tracers.set(key, t);
    }
    return t;
  }

  forceFlush(): Promise<void> {
    return this.flush();
  }

  shutdown(): Promise<void> {
    return this.stop();
  }
}
