import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core';
import { CrosstraceTracerError, ErrorCode } from '../errors.js';
import { B3Propagator } from './b3.js';
import { JaegerPropagator } from './jaeger.js';
import { W3CTraceContextPropagator } from './w3c-trace-context.js';

/** Propagator names accepted in `OTEL_PROPAGATORS` and by {@link createPropagator}. */
export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];

class NoopPropagator implements TextMapPropagator {
  inject(_context: Context, _carrier: unknown, _setter: TextMapSetter): void {}
  extract(context: Context, _carrier: unknown, _getter: TextMapGetter): Context {
    return context;
  }
  fields(): string[] {
    return [];
  }
}

function one(name: string): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new W3CTraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'b3':
      return new B3Propagator('single');
    case 'b3multi':
      return new B3Propagator('multi');
    case 'jaeger':
      return new JaegerPropagator();
    case 'none':
      return new NoopPropagator();
    default:
      throw new CrosstraceTracerError(
        ErrorCode.InvalidConfig,
        `propagators / OTEL_PROPAGATORS: unknown propagator "${name}" (one of ${PROPAGATOR_NAMES.join(', ')})`,
      );
  }
}

/**
 * A composite `TextMapPropagator` from names, in order (`OTEL_PROPAGATORS` syntax): injection
 * writes every format, extraction lets later ones override earlier ones. `none` alone disables
 * propagation. Throws `CT_TRACER_INVALID_CONFIG` for an unknown name (start-up only).
 *
 * @param names - e.g. `['tracecontext', 'baggage', 'b3multi']`
 * @example
 * const propagator = createPropagator(['tracecontext', 'baggage', 'jaeger']);
 * propagator.inject(context.active(), headers, defaultTextMapSetter);
 */
export function createPropagator(names: readonly string[]): TextMapPropagator {
  const list = names.map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  const unique = [...new Set(list)];
  const props = unique.map(one);
  if (unique.length === 0 || (unique.length === 1 && unique[0] === 'none')) return new NoopPropagator();
  if (props.length === 1) return props[0];
  return new CompositePropagator({ propagators: props.filter((p) => !(p instanceof NoopPropagator)) });
}
