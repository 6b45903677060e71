import type { SpanContext as OtelSpanContext, TraceState } from '@opentelemetry/api';
import { SpanContext as OtSpanContext } from 'opentracing';

function hex32(n: number): string {
  const s = (n >>> 0).toString(16);
  return s.length === 8 ? s : '00000000'.slice(s.length) + s;
}

/** OpenTracing baggage: string keys and values, shared copy-on-write between a span and its children. */
export type BaggageItems = Readonly<Record<string, string>>;

/**
 * The identity of one span. It is at the same time an OpenTracing `SpanContext` (`toTraceId()`,
 * `toSpanId()`) and an OpenTelemetry `SpanContext` (`traceId`, `spanId`, `traceFlags`, …), so the
 * same object travels through both APIs without conversion.
 */
export class CrosstraceSpanContext extends OtSpanContext implements OtelSpanContext {
  traceId: string;
  traceFlags: number;
  traceState: TraceState | undefined;
  isRemote: boolean | undefined;
  /** OpenTracing baggage items (W3C `baggage`, `uberctx-*`, `baggage-*` on the wire). */
  baggage: BaggageItems | undefined;

  // A new span's id is kept as two random 32-bit words and becomes hex when first read (most
  // child span ids are only read by the exporter, off the request path).
  private _spanId: string | undefined;
  private _hi: number;
  private _lo: number;

  /**
   * @param spanId - the span id, or `undefined` with `hi`/`lo` for a new random id (not both zero)
   */
  constructor(
    traceId: string,
    spanId: string | undefined,
    traceFlags: number,
    traceState?: TraceState,
    isRemote?: boolean,
    baggage?: BaggageItems,
    hi = 0,
    lo = 0,
  ) {
    super();
    this.traceId = traceId;
    this._spanId = spanId;
    this._hi = hi;
    this._lo = lo;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.isRemote = isRemote;
    this.baggage = baggage;
  }

  /** 16 lowercase hex digits. */
  get spanId(): string {
    let id = this._spanId;
    if (id === undefined) {
      id = hex32(this._hi) + hex32(this._lo);
      this._spanId = id;
    }
    return id;
  }

  set spanId(value: string) {
    this._spanId = value;
  }

  /** A plain-object copy (`traceId`, `spanId`, `traceFlags`, …) for logging or serialising. */
  toJSON(): { traceId: string; spanId: string; traceFlags: number; isRemote?: boolean } {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.traceFlags,
      isRemote: this.isRemote,
    };
  }

  override toTraceId(): string {
    return this.traceId;
  }

  override toSpanId(): string {
    return this.spanId;
  }

  /** True when the sampled flag is set. */
  get sampled(): boolean {
    return (this.traceFlags & 1) === 1;
  }
}

/** Wraps any OpenTelemetry span context (from another SDK or a propagator) as ours. */
export function fromOtelSpanContext(ctx: OtelSpanContext, baggage?: BaggageItems): CrosstraceSpanContext {
  if (ctx instanceof CrosstraceSpanContext) {
    if (baggage !== undefined) ctx.baggage = baggage;
    return ctx;
  }
  return new CrosstraceSpanContext(
    ctx.traceId,
    ctx.spanId,
    ctx.traceFlags,
    ctx.traceState,
    ctx.isRemote,
    baggage,
  );
}
