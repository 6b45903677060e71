import {
  type Span as ApiSpan,
  type Tracer as ApiTracer,
  type Context,
  context as contextApi,
  SpanKind,
  type SpanOptions,
  trace,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { ADOPT_ATTRIBUTES } from '../api/adopt-attributes.js';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';
import { createSpan, nonRecordingSpan, type SpanFactory, usableParent } from './span-factory.js';
import { nowMillis, toMillis } from './time.js';

/** `SpanOptions` with the caller's attributes handed over. */
interface AdoptingOptions extends SpanOptions {
  [ADOPT_ATTRIBUTES]?: boolean;
}

/**
 * The `@opentelemetry/api` `Tracer` handed out by the provider: spans it starts are the same
 * {@link CrosstraceSpan}s the OpenTracing API makes, parented from the OTel context.
 */
export class CrosstraceOtelTracer implements ApiTracer {
  private readonly factory: SpanFactory;
  private readonly scope: InstrumentationScope;
  private readonly onStart: ((span: ApiSpan, ctx: Context) => void) | undefined;

  constructor(
    factory: SpanFactory,
    scope: InstrumentationScope,
    onStart: ((span: ApiSpan, ctx: Context) => void) | undefined,
  ) {
    this.factory = factory;
    this.scope = scope;
    this.onStart = onStart;
  }

  startSpan(name: string, options?: SpanOptions, ctx?: Context): ApiSpan {
    try {
      return this.start(name, options, ctx);
    } catch (err) {
      reportOnce(
        ErrorCode.InvalidArgument,
        'startSpan: bad arguments, returning a non-recording span',
        'otel-start',
        err,
      );
      return nonRecordingSpan(this.factory, this.scope, typeof name === 'string' ? name : 'invalid');
    }
  }

  private start(name: string, options?: SpanOptions, ctx?: Context): ApiSpan {
    const parentCtx =
      typeof (ctx as Context | undefined)?.getValue === 'function' ? (ctx as Context) : contextApi.active();
    const o: SpanOptions = options !== null && typeof options === 'object' ? options : {};
    const parent = o.root === true ? undefined : trace.getSpanContext(parentCtx);
    let spanName = name;
    if (typeof spanName !== 'string') {
      reportOnce(ErrorCode.InvalidArgument, 'startSpan: name must be a string', 'otel-name');
      spanName = String(spanName);
    }
    const start = o.startTime === undefined ? nowMillis() : (toMillis(o.startTime) ?? nowMillis());
    const attributes = o.attributes;
    const handedOver =
      attributes !== null &&
      typeof attributes === 'object' &&
      (o as AdoptingOptions)[ADOPT_ATTRIBUTES] === true;
    const span = createSpan(
      this.factory,
      this.scope,
      spanName,
      usableParent(parent) ? parent : undefined,
      typeof o.kind === 'number' ? o.kind : SpanKind.INTERNAL,
      start,
      undefined,
      handedOver ? attributes : undefined,
    );
    if (attributes !== undefined && span.attributes !== attributes) span.setAttributes(attributes);
    if (o.links !== undefined) span.addLinks(o.links);
    if (this.onStart !== undefined && span.isRecording()) this.onStart(span, parentCtx);
    return span;
  }

  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    a?: SpanOptions | F,
    b?: Context | F,
    c?: F,
  ): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F | undefined;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else {
      options = a;
      ctx = b;
      fn = c;
    }
    if (typeof fn !== 'function') {
      reportOnce(ErrorCode.InvalidArgument, 'startActiveSpan: a callback is required', 'startActiveSpan');
      return undefined;
    }
    const parentCtx = typeof ctx?.getValue === 'function' ? ctx : contextApi.active();
    const span = this.startSpan(name, options, parentCtx);
    return contextApi.with(
      trace.setSpan(parentCtx, span),
      fn as (s: ApiSpan) => ReturnType<F>,
      undefined,
      span,
    );
  }
}
