import {
  type Context,
  createContextKey,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { CrosstraceExpressError, ErrorCode } from './errors.js';
import { VERSION } from './version.js';

/** The instrumentation scope name of every span this package starts. */
export const INSTRUMENTATION_NAME = '@crosstrace/express-plugin';
/** The instrumentation scope version: this package's version. */
export const INSTRUMENTATION_VERSION: string = VERSION;

/**
 * What the `tracer` option accepts: a `createTracer()` result from `@crosstrace/tracer` (anything
 * with an OpenTelemetry `provider` and optionally a `propagator`), or an OpenTelemetry
 * `TracerProvider` itself.
 */
export type TracerSource =
  | { readonly provider: TracerProvider; readonly propagator?: TextMapPropagator }
  | TracerProvider;

/** The OpenTelemetry tracer and propagator the plugin uses; undefined members mean "the global one". */
export interface ResolvedTracer {
  readonly tracer: Tracer;
  /** The tracer's propagator, or undefined for the global propagator (`propagation` API). */
  readonly propagator: TextMapPropagator | undefined;
}

function isFunction(v: unknown): v is (...args: unknown[]) => unknown {
  return typeof v === 'function';
}

function isPropagator(v: unknown): v is TextMapPropagator {
  return (
    typeof v === 'object' &&
    v !== null &&
    isFunction((v as TextMapPropagator).inject) &&
    isFunction((v as TextMapPropagator).extract)
  );
}

/**
 * Resolves the `tracer` option. The global tracer is looked up through the API's proxy, so a
 * provider registered after `crosstrace()` is created is still used.
 */
export function resolveTracer(source: unknown, option = 'tracer'): ResolvedTracer {
  if (source === undefined) {
    return { tracer: trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION), propagator: undefined };
  }
  if (typeof source !== 'object' || source === null) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidTracer,
      `option "${option}" must be a createTracer() result or an OpenTelemetry TracerProvider, got ${source === null ? 'null' : typeof source}`,
    );
  }
  const s = source as { provider?: unknown; propagator?: unknown; getTracer?: unknown };
  let provider: TracerProvider;
  if (
    typeof s.provider === 'object' &&
    s.provider !== null &&
    isFunction((s.provider as TracerProvider).getTracer)
  ) {
    provider = s.provider as TracerProvider;
  } else if (isFunction(s.getTracer)) {
    provider = source as TracerProvider;
  } else {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidTracer,
      `option "${option}" must be a createTracer() result (with .provider) or an OpenTelemetry TracerProvider (with .getTracer)`,
    );
  }
  if (s.propagator !== undefined && !isPropagator(s.propagator)) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidTracer,
      `option "${option}": .propagator must be an OpenTelemetry TextMapPropagator (inject and extract)`,
    );
  }
  return {
    tracer: provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION),
    propagator: s.propagator as TextMapPropagator | undefined,
  };
}

export function extract<C>(
  resolved: ResolvedTracer,
  ctx: Context,
  carrier: C,
  getter: TextMapGetter<C>,
): Context {
  return resolved.propagator === undefined
    ? propagation.extract(ctx, carrier, getter)
    : resolved.propagator.extract(ctx, carrier, getter);
}

export function inject<C>(
  resolved: ResolvedTracer,
  ctx: Context,
  carrier: C,
  setter: TextMapSetter<C>,
): void {
  if (resolved.propagator === undefined) propagation.inject(ctx, carrier, setter);
  else resolved.propagator.inject(ctx, carrier, setter);
}

/** What a server span leaves in the active context for outgoing calls made while handling it. */
export interface RequestScope {
  readonly resolved: ResolvedTracer;
  /** The incoming `X-Request-ID`, forwarded on outgoing calls. */
  readonly requestId: string | undefined;
  readonly requestIdHeader: string;
}

/** Context key under which the server middleware stores its {@link RequestScope}. */
export const REQUEST_SCOPE_KEY = createContextKey('crosstrace.express-plugin.request-scope');

export function requestScope(ctx: Context): RequestScope | undefined {
  return ctx.getValue(REQUEST_SCOPE_KEY) as RequestScope | undefined;
}
