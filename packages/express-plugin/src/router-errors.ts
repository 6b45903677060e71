import { subscribe } from 'node:diagnostics_channel';
import { requestTraceOf } from './request-trace.js';

// Express 5's router (2.3+) publishes every error a handler throws, rejects or passes to next()
// on the `express.router.request` TracingChannel, once per error object. Subscribing lets the
// plugin record exceptions without patching Express or asking for an error middleware.
const ERROR_CHANNEL = 'tracing:express.router.request:error';

let subscribed = false;

function onRouterError(message: unknown): void {
  const ctx = message as { req?: unknown; error?: unknown } | undefined;
  if (ctx === undefined || ctx === null || typeof ctx.req !== 'object' || ctx.req === null) return;
  requestTraceOf(ctx.req as Parameters<typeof requestTraceOf>[0])?.recordError(ctx.error);
}

/** Subscribes once per process to the Express 5 router's error channel. */
export function subscribeRouterErrors(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe(ERROR_CHANNEL, onRouterError);
}
