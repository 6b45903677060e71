import { contextFromRequestId } from '@crosstrace/contract';
import {
  type Context,
  context as contextApi,
  type SpanContext as OtelSpanContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  FORMAT_BINARY,
  FORMAT_HTTP_HEADERS,
  FORMAT_TEXT_MAP,
  Span as OtSpan,
  type SpanContext as OtSpanContext,
  type SpanOptions as OtSpanOptions,
  Tracer as OtTracer,
} from 'opentracing';
import { RefType, TRACER_NAME, TRACER_VERSION } from '../api/constants.js';
import { contextWithSpan } from '../api/context.js';
import { NonRecordingSpan } from '../api/non-recording-span.js';
import { DEFAULT_SPAN_LIMITS, type ResolvedSpanLimits } from '../config/span-limits.js';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';
import type { CrosstraceSampler } from '../sampling/sampler.js';
import { carrierGetter, carrierSetter, decodeBinary, encodeBinary } from './carrier.js';
import type { CrosstraceTracerProvider } from './provider.js';
import { CHILD_OF_PARENT, CrosstraceSpan, type SpanReference } from './span.js';
import { type BaggageItems, CrosstraceSpanContext, fromOtelSpanContext } from './span-context.js';
import { createSpan, nonRecordingSpan, type SpanFactory, usableParent } from './span-factory.js';
import { nowMillis, toMillis } from './time.js';

const OT_SCOPE: InstrumentationScope = Object.freeze({ name: TRACER_NAME, version: TRACER_VERSION });

/** What {@link CrosstraceTracer} is built from (see `createTracer`). */
export interface CrosstraceTracerParts {
  resource: Resource;
  processor: SpanProcessor;
  sampler: CrosstraceSampler;
  propagator: TextMapPropagator;
  /** Join the trace of a lone `X-Request-ID` header on HTTP-header extraction (default true). */
  requestIdFallback: boolean;
  /** The span limits in force (default: OpenTelemetry's). */
  limits?: ResolvedSpanLimits;
}

/** Turns a Span, SpanContext (ours, OTel-shaped or any OpenTracing one) into an OTel span context. */
function contextOf(value: unknown): OtelSpanContext | undefined {
  if (value instanceof CrosstraceSpan) return value.context();
  if (value instanceof CrosstraceSpanContext) return value;
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as { context?: () => unknown; traceId?: unknown; spanId?: unknown; traceFlags?: unknown };
  if (typeof v.context === 'function' && value instanceof OtSpan) return contextOf(v.context());
  if (typeof v.traceId === 'string' && typeof v.spanId === 'string') return v as OtelSpanContext;
  const ot = value as { toTraceId?: () => string; toSpanId?: () => string };
  if (typeof ot.toTraceId === 'function' && typeof ot.toSpanId === 'function') {
    const traceId = ot.toTraceId();
    const spanId = ot.toSpanId();
    if (/^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId)) {
      return new CrosstraceSpanContext(traceId, spanId, 1, undefined, false);
    }
  }
  return undefined;
}

function refOf(ref: unknown): SpanReference | undefined {
  if (ref === null || typeof ref !== 'object') return undefined;
  const r = ref as { type?: () => string; referencedContext?: () => unknown };
  if (typeof r.type !== 'function' || typeof r.referencedContext !== 'function') return undefined;
  const type = r.type();
  if (type !== RefType.ChildOf && type !== RefType.FollowsFrom) return undefined;
  const ctx = contextOf(r.referencedContext());
  return ctx === undefined || !usableParent(ctx) ? undefined : { type, context: ctx };
}

/**
 * The crosstrace tracer: an OpenTracing `Tracer` (v0.14) whose spans are also OpenTelemetry spans.
 * Made by `createTracer`; also holds the OpenTelemetry side (`provider`, `propagator`).
 *
 * Parenting: the first `child_of` reference, else the first `follows_from`; every reference is kept
 * and exported as a link with `opentracing.ref_type`. Without references, the active
 * OpenTelemetry span (if any) is the parent, so OpenTracing code nests under instrumentations.
 */
export class CrosstraceTracer extends OtTracer implements SpanFactory {
  readonly resource: Resource;
  readonly processor: SpanProcessor;
  readonly sampler: CrosstraceSampler;
  /** The composite `@opentelemetry/api` `TextMapPropagator` used by inject/extract. */
  readonly propagator: TextMapPropagator;
  /** The span limits every span of this tracer keeps to. */
  readonly limits: ResolvedSpanLimits;
  /** The `@opentelemetry/api` `TracerProvider` (set by `createTracer`). */
  provider!: CrosstraceTracerProvider;
  private readonly requestIdFallback: boolean;
  private shutdownPromise: Promise<void> | undefined = undefined;

  constructor(parts: CrosstraceTracerParts) {
    super();
    this.resource = parts.resource;
    this.processor = parts.processor;
    this.sampler = parts.sampler;
    this.propagator = parts.propagator;
    this.requestIdFallback = parts.requestIdFallback;
    this.limits = parts.limits ?? DEFAULT_SPAN_LIMITS;
  }

  get ot(): OtTracer {
    return this;
  }

  /**
   * Starts a span. Never throws: bad arguments give a non-recording span and one diagnostic.
   *
   * @example
   * const span = tracer.startSpan('charge', { childOf: parent, tags: { 'order.id': 42 } });
   * span.finish();
   */
  override startSpan(name: string, options?: OtSpanOptions): CrosstraceSpan {
    try {
      return this.start(name, options);
    } catch (err) {
      reportOnce(
        ErrorCode.InvalidArgument,
        'startSpan: bad arguments, returning a non-recording span',
        'start',
        err,
      );
      return nonRecordingSpan(this, OT_SCOPE, typeof name === 'string' ? name : 'invalid');
    }
  }

  private start(name: string, options?: OtSpanOptions): CrosstraceSpan {
    let spanName = name;
    if (typeof spanName !== 'string') {
      reportOnce(ErrorCode.InvalidArgument, 'startSpan: name must be a string', 'name');
      spanName = String(spanName);
    }
    let parent: OtelSpanContext | undefined;
    let refs: SpanReference[] | readonly SpanReference[] | undefined;
    let start: number | undefined;
    if (options !== undefined && options !== null && typeof options === 'object') {
      const childOf = options.childOf;
      const references = options.references;
      if (references !== undefined && references !== null && references.length > 0) {
        const list: SpanReference[] = [];
        if (Array.isArray(references)) {
          for (const r of references) {
            const ref = refOf(r);
            if (ref === undefined)
              reportOnce(ErrorCode.InvalidArgument, 'startSpan: bad reference ignored', 'ref');
            else list.push(ref);
          }
        }
        if (childOf !== undefined && childOf !== null) {
          const c = contextOf(childOf);
          if (c !== undefined && usableParent(c)) list.push({ type: RefType.ChildOf, context: c });
        }
        for (const r of list) {
          if (r.type === RefType.ChildOf) {
            parent = r.context;
            break;
          }
        }
        if (parent === undefined && list.length > 0) parent = list[0].context;
        if (list.length > 0) refs = list;
      } else if (childOf !== undefined && childOf !== null) {
        const c = contextOf(childOf);
        if (c !== undefined && usableParent(c)) {
          parent = c;
          refs = CHILD_OF_PARENT;
        } else {
          reportOnce(
            ErrorCode.InvalidArgument,
            'startSpan: childOf is not a span or span context',
            'childOf',
          );
        }
      }
      if (options.startTime !== undefined) {
        start = toMillis(options.startTime);
        if (start === undefined)
          reportOnce(ErrorCode.InvalidArgument, 'startSpan: bad startTime', 'startTime');
      }
    }
    if (refs === undefined) {
      const active = trace.getSpanContext(contextApi.active());
      if (active !== undefined && usableParent(active)) parent = active;
    }
    const span = createSpan(this, OT_SCOPE, spanName, parent, SpanKind.INTERNAL, start ?? nowMillis(), refs);
    const tags = options?.tags;
    if (tags !== undefined && tags !== null && span.isRecording()) span.addTags(tags);
    return span;
  }

  /**
   * Writes `spanContext` (or a span's context) into `carrier` with the configured propagators.
   * `FORMAT_HTTP_HEADERS` / `FORMAT_TEXT_MAP`: a plain object; `FORMAT_BINARY`: an object whose
   * `buffer` receives the encoded bytes. Never throws.
   */
  override inject(spanContext: OtSpanContext | OtSpan, format: string, carrier: unknown): void {
    try {
      const sc = contextOf(spanContext);
      if (sc === undefined || carrier === null || typeof carrier !== 'object') {
        reportOnce(
          ErrorCode.InvalidArgument,
          'inject: needs a span or span context and an object carrier',
          'inject',
        );
        return;
      }
      let ctx: Context = contextWithSpan(ROOT_CONTEXT, new NonRecordingSpan(sc));
      const items = (sc as CrosstraceSpanContext).baggage;
      if (items !== undefined) {
        const entries: Record<string, { value: string }> = {};
        for (const k of Object.keys(items)) entries[k] = { value: items[k] };
        ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
      }
      if (format === FORMAT_HTTP_HEADERS || format === FORMAT_TEXT_MAP) {
        this.propagator.inject(ctx, carrier, carrierSetter);
      } else if (format === FORMAT_BINARY) {
        const headers: Record<string, string> = {};
        this.propagator.inject(ctx, headers, carrierSetter);
        (carrier as { buffer: ArrayLike<number> }).buffer = encodeBinary(headers);
      } else {
        reportOnce(
          ErrorCode.UnsupportedFormat,
          `inject: unsupported format "${String(format)}"`,
          String(format),
        );
      }
    } catch (err) {
      reportOnce(ErrorCode.InternalError, 'inject failed', 'inject-internal', err);
    }
  }

  /**
   * Reads a span context from `carrier`; `null` when there is none or it is invalid (the caller then
   * starts a fresh trace). With `FORMAT_HTTP_HEADERS`, a lone `X-Request-ID` yields the ingress
   * span's context (see `contextFromRequestId`). Never throws.
   */
  override extract(format: string, carrier: unknown): CrosstraceSpanContext | null {
    try {
      let map: unknown = carrier;
      if (format === FORMAT_BINARY) {
        map = decodeBinary((carrier as { buffer?: unknown } | null)?.buffer);
      } else if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) {
        reportOnce(
          ErrorCode.UnsupportedFormat,
          `extract: unsupported format "${String(format)}"`,
          String(format),
        );
        return null;
      }
      if (map === null || typeof map !== 'object') return null;
      const ctx = this.propagator.extract(ROOT_CONTEXT, map, carrierGetter);
      const sc = trace.getSpanContext(ctx);
      let baggage: BaggageItems | undefined;
      const bag = propagation.getBaggage(ctx);
      if (bag !== undefined) {
        const items: Record<string, string> = {};
        for (const [k, e] of bag.getAllEntries()) items[k] = e.value;
        baggage = items;
      }
      if (sc !== undefined && usableParent(sc)) {
        const out = fromOtelSpanContext(sc, baggage);
        out.isRemote = true;
        return out;
      }
      if (format === FORMAT_HTTP_HEADERS && this.requestIdFallback) {
        const fromId = contextFromRequestId(
          carrierGetter.get(map as Record<string, unknown>, 'x-request-id'),
        );
        if (fromId !== undefined)
          return new CrosstraceSpanContext(fromId.traceId, fromId.spanId, 1, undefined, true, baggage);
      }
      return null;
    } catch (err) {
      reportOnce(ErrorCode.InternalError, 'extract failed', 'extract-internal', err);
      return null;
    }
  }

  /**
   * Runs `fn` with `span` as the active OpenTelemetry span, so `@opentelemetry/api` code and
   * instrumentations inside become its children.
   *
   * @example
   * await tracer.withSpan(span, () => fetch(url));
   */
  withSpan<T>(span: CrosstraceSpan, fn: () => T): T {
    return contextApi.with(trace.setSpan(contextApi.active(), span), fn);
  }

  /** Exports every finished span now. Never rejects. */
  async forceFlush(): Promise<void> {
    try {
      await this.processor.forceFlush();
    } catch (err) {
      reportOnce(ErrorCode.ExportFailed, 'forceFlush failed', 'flush', err);
    }
  }

  /** Flushes and stops the processor and exporter; later spans are dropped. Never rejects. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      try {
        await this.processor.shutdown();
      } catch (err) {
        reportOnce(ErrorCode.ExportFailed, 'shutdown failed', 'shutdown', err);
      }
    })();
    return this.shutdownPromise;
  }
}
