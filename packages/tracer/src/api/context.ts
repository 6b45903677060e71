import type { Context, Span } from '@opentelemetry/api';

/** The key `@opentelemetry/api` stores the active span under (`createContextKey` uses `Symbol.for`). */
export const SPAN_KEY: symbol = Symbol.for('OpenTelemetry Context Key SPAN');

/**
 * One key/value on top of a parent `Context`: an immutable `@opentelemetry/api` `Context` that costs
 * one small object instead of a copied `Map` and three closures. Lookups walk the (short) chain.
 */
class LinkedContext implements Context {
  private readonly parent: Context;
  private readonly key: symbol;
  private readonly value: unknown;

  constructor(parent: Context, key: symbol, value: unknown) {
    this.parent = parent;
    this.key = key;
    this.value = value;
  }

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined);
  }
}

/**
 * `parent.setValue(key, value)` without the `Map` copy: for contexts built on a hot path.
 *
 * @example
 * const ctx = contextWithValue(context.active(), MY_KEY, value);
 */
export function contextWithValue(parent: Context, key: symbol, value: unknown): Context {
  return new LinkedContext(parent, key, value);
}

/** `trace.setSpan(parent, span)` without the `Map` copy. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return new LinkedContext(parent, SPAN_KEY, span);
}
