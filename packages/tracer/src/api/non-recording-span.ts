import type {
  Attributes,
  AttributeValue,
  Exception,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';

/**
 * A span that only carries a context: what propagators put in an extracted context and what the
 * API returns when nothing is configured. Every method is a no-op. (Type-only imports: this file
 * has no run-time dependency.)
 */
export class NonRecordingSpan implements Span {
  private readonly ctx: SpanContext;

  constructor(ctx: SpanContext) {
    this.ctx = ctx;
  }

  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(_key: string, _value: AttributeValue): this {
    return this;
  }
  setAttributes(_attributes: Attributes): this {
    return this;
  }
  addEvent(_name: string, _a?: unknown, _b?: TimeInput): this {
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(_status: SpanStatus): this {
    return this;
  }
  updateName(_name: string): this {
    return this;
  }
  end(_endTime?: TimeInput): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(_exception: Exception, _time?: TimeInput): void {}
}
