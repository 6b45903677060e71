import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestTraceOf } from './request-trace.js';

// Express 4 and 5 hand an error that no error middleware answered to their final handler, through
// every remaining layer of the app's router. An error middleware kept last in that stack sees each
// such error (records it, passes it on) at no cost to requests without errors: the router never
// reaches the end of its stack for a request a route answered. Cheaper than the Express 5 router's
// diagnostics channel, whose subscription makes the router trace every layer call of every request.

interface RouterLike {
  stack?: unknown;
  use?: (fn: unknown) => unknown;
}

interface LayerLike {
  handle?: unknown;
}

interface AppLike {
  _router?: unknown;
  router?: unknown;
  lazyrouter?: unknown;
}

function captureError(
  err: unknown,
  req: IncomingMessage,
  _res: ServerResponse,
  next: (e?: unknown) => void,
): void {
  requestTraceOf(req)?.recordError(err);
  next(err);
}

/** The app's router: Express 4 keeps it in `_router` (its `router` getter throws), Express 5 in `router`. */
function routerOf(req: { app?: unknown }): RouterLike | undefined {
  if (typeof req.app !== 'function') return undefined;
  const app = req.app as unknown as AppLike;
  const router = (app._router ?? (typeof app.lazyrouter === 'function' ? undefined : app.router)) as
    | RouterLike
    | undefined;
  return typeof router === 'object' || typeof router === 'function' ? router : undefined;
}

/**
 * Keeps the error-recording layer last in the request's Express app router (appended on the first
 * request, moved back to the end when routes were added after it). Does nothing outside Express;
 * never throws.
 */
export function keepErrorLayerLast(req: IncomingMessage): void {
  try {
    const router = routerOf(req as { app?: unknown });
    const stack = router?.stack;
    if (!Array.isArray(stack)) return;
    if ((stack[stack.length - 1] as LayerLike | undefined)?.handle === captureError) return;
    const at = stack.findIndex((l: LayerLike) => l?.handle === captureError);
    if (at !== -1) {
      stack.push(stack.splice(at, 1)[0]);
      return;
    }
    router?.use?.(captureError);
  } catch {
    // an unknown router shape: errors are still seen through the status code
  }
}
