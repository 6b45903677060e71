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
function routerOf(app: unknown): RouterLike | undefined {
  if (typeof app !== 'function') return undefined;
  const a = app as unknown as AppLike;
  const router = (a._router ?? (typeof a.lazyrouter === 'function' ? undefined : a.router)) as
    | RouterLike
    | undefined;
  return typeof router === 'object' || typeof router === 'function' ? router : undefined;
}

/**
 * Keeps the error-recording layer last in the router of the Express apps a middleware serves
 * (appended on the first request, moved back to the end when routes were added after it). The
 * router of the last app seen is remembered: finding it again reads several properties of the app
 * function (a dictionary object) and calls a getter, on every request.
 */
export class ErrorLayerKeeper {
  private app: unknown = undefined;
  private router: RouterLike | undefined = undefined;

  /** Does nothing outside Express; never throws. */
  keepLast(req: IncomingMessage): void {
    try {
      const app = (req as { app?: unknown }).app;
      let router = this.router;
      if (app !== this.app || router === undefined) {
        router = routerOf(app);
        // an Express 4 app makes its router with its first route: not remembered before that
        if (router === undefined) return;
        this.app = app;
        this.router = router;
      }
      const stack = router.stack;
      if (!Array.isArray(stack)) return;
      if ((stack[stack.length - 1] as LayerLike | undefined)?.handle === captureError) return;
      const at = stack.findIndex((l: LayerLike) => l?.handle === captureError);
      if (at !== -1) {
        stack.push(stack.splice(at, 1)[0]);
        return;
      }
      router.use?.(captureError);
    } catch {
      // an unknown router shape: errors are still seen through the status code
    }
  }
}
