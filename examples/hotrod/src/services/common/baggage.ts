import { type Context, context, propagation } from '@opentelemetry/api';

/** The value of a W3C baggage item in `ctx` (default: the active context), '' when absent. */
export function baggageItem(key: string, ctx: Context = context.active()): string {
  return propagation.getBaggage(ctx)?.getEntry(key)?.value ?? '';
}

/** `ctx` with baggage item `key` set to `value` (the other items kept). */
export function withBaggageItem(key: string, value: string, ctx: Context = context.active()): Context {
  const bag = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, bag.setEntry(key, { value }));
}
