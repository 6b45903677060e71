import { reportOnce } from '../diagnostics.js';
import { CrosstraceTracerError, ErrorCode } from '../errors.js';

/**
 * OpenTelemetry's `SpanLimits` (same names as `@opentelemetry/sdk-trace`'s, so one object serves
 * both). Every limit is a non-negative integer; `attributeValueLengthLimit` may be `Infinity`.
 */
export interface SpanLimits {
  /** Attributes per span [`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, then `OTEL_ATTRIBUTE_COUNT_LIMIT`; 128]. */
  attributeCountLimit?: number;
  /** Characters per string attribute value, and per string in an array [`OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, then `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`; no limit]. */
  attributeValueLengthLimit?: number;
  /** Events per span [`OTEL_SPAN_EVENT_COUNT_LIMIT`; 128]. */
  eventCountLimit?: number;
  /** Links per span, OpenTracing references included [`OTEL_SPAN_LINK_COUNT_LIMIT`; 128]. */
  linkCountLimit?: number;
  /** Attributes per event [`OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, then `OTEL_ATTRIBUTE_COUNT_LIMIT`; 128]. */
  attributePerEventCountLimit?: number;
  /** Attributes per link [`OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`, then `OTEL_ATTRIBUTE_COUNT_LIMIT`; 128]. */
  attributePerLinkCountLimit?: number;
}

/** OpenTelemetry's general attribute limits (`generalLimits` of the OTel SDK's tracer config). */
export interface AttributeLimits {
  /** Attributes per span, event and link, unless a span limit says otherwise [`OTEL_ATTRIBUTE_COUNT_LIMIT`]. */
  attributeCountLimit?: number;
  /** Characters per string attribute value, unless a span limit says otherwise [`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`]. */
  attributeValueLengthLimit?: number;
}

/** The limits in force: every field set. */
export type ResolvedSpanLimits = Readonly<Required<SpanLimits>>;

/** The OpenTelemetry defaults: 128 of everything, no value length limit. */
export const DEFAULT_SPAN_LIMITS: ResolvedSpanLimits = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: Number.POSITIVE_INFINITY,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
});

// The OpenTelemetry specification's integer range for environment variables.
const MAX_ENV_INTEGER = 2 ** 31 - 1;

/**
 * A non-negative integer environment variable, as the OpenTelemetry specification reads it: unset
 * or empty is unset; anything else that is not an integer in 0 … 2³¹−1 is reported (one
 * `CT_TRACER_INVALID_CONFIG` diagnostic) and treated as unset.
 */
function envLimit(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isInteger(n) && n <= MAX_ENV_INTEGER) return n;
  reportOnce(
    ErrorCode.InvalidConfig,
    `${name}: expected an integer from 0 to ${MAX_ENV_INTEGER}, got "${raw}"; ignored`,
    name,
  );
  return undefined;
}

/** A limit given in code: a non-negative integer (or `Infinity` where `infinite`); throws naming it. */
function optionLimit(value: unknown, name: string, infinite = false): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value === 'number' &&
    value >= 0 &&
    (Number.isInteger(value) || (infinite && value === Number.POSITIVE_INFINITY))
  ) {
    return value;
  }
  throw new CrosstraceTracerError(
    ErrorCode.InvalidConfig,
    `${name}: expected a non-negative integer${infinite ? ' or Infinity' : ''}, got ${String(value)}`,
  );
}

function optionObject<T extends object>(value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {};
  if (value !== null && typeof value === 'object') return value;
  throw new CrosstraceTracerError(ErrorCode.InvalidConfig, `${name}: expected an object of limits`);
}

/**
 * The span limits in force: each limit from the `spanLimits` option, else the `generalLimits`
 * option (attribute limits), else the span-specific environment variable, else the general one
 * (`OTEL_ATTRIBUTE_*`), else OpenTelemetry's default. A bad option throws
 * `CT_TRACER_INVALID_CONFIG`; a bad variable is reported and ignored, as the specification asks.
 */
export function resolveSpanLimits(
  spanLimits: SpanLimits | undefined,
  generalLimits: AttributeLimits | undefined,
  env: NodeJS.ProcessEnv,
): ResolvedSpanLimits {
  const s = optionObject(spanLimits, 'spanLimits');
  const g = optionObject(generalLimits, 'generalLimits');
  const count = (option: keyof SpanLimits, variable: string): number =>
    optionLimit(s[option], `spanLimits.${option}`) ??
    optionLimit(g.attributeCountLimit, 'generalLimits.attributeCountLimit') ??
    envLimit(env, variable) ??
    envLimit(env, 'OTEL_ATTRIBUTE_COUNT_LIMIT') ??
    DEFAULT_SPAN_LIMITS[option];
  return Object.freeze({
    attributeCountLimit: count('attributeCountLimit', 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit:
      optionLimit(s.attributeValueLengthLimit, 'spanLimits.attributeValueLengthLimit', true) ??
      optionLimit(g.attributeValueLengthLimit, 'generalLimits.attributeValueLengthLimit', true) ??
      envLimit(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
      envLimit(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
      DEFAULT_SPAN_LIMITS.attributeValueLengthLimit,
    eventCountLimit:
      optionLimit(s.eventCountLimit, 'spanLimits.eventCountLimit') ??
      envLimit(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT') ??
      DEFAULT_SPAN_LIMITS.eventCountLimit,
    linkCountLimit:
      optionLimit(s.linkCountLimit, 'spanLimits.linkCountLimit') ??
      envLimit(env, 'OTEL_SPAN_LINK_COUNT_LIMIT') ??
      DEFAULT_SPAN_LIMITS.linkCountLimit,
    attributePerEventCountLimit: count('attributePerEventCountLimit', 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'),
    attributePerLinkCountLimit: count('attributePerLinkCountLimit', 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'),
  } satisfies Required<SpanLimits>);
}
