import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Span } from '@opentelemetry/api';
import { ErrorLayerKeeper } from './error-layer.js';
import { type CrosstraceOptions, createConfig } from './options.js';
import { requestTraceOf, startRequestTrace } from './request-trace.js';
import { subscribeRouterErrors } from './router-errors.js';

/** A Connect/Express-style middleware. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** A Connect/Express-style error middleware. */
export type ErrorMiddleware = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Tracing middleware for Express 4 and 5, Connect and any `(req, res, next)` framework: one
 * SERVER span per request (layer `app`), the span active for everything `next()` runs.
 * Options are validated here; a bad one throws a `CrosstraceExpressError` (`CT_EXPRESS_*`).
 *
 * @param options - see {@link CrosstraceOptions}; `tracer` defaults to the global one
 * @example
 * const tracer = createTracer({ serviceName: 'shop' });
 * const app = express();
 * app.use(crosstrace({ tracer }));
 * app.get('/customer/:id', handler); // span "GET /customer/:id"
 */
export function crosstrace(options?: CrosstraceOptions): Middleware {
  const config = createConfig(options);
  if (config.captureRouterErrors) subscribeRouterErrors();
  const errorLayer = config.errorLayer ? new ErrorLayerKeeper() : undefined;
  return function crosstraceMiddleware(req, res, next) {
    const rt = startRequestTrace(config, req, res);
    if (rt === undefined) {
      next();
      return;
    }
    errorLayer?.keepLast(req);
    context.with(rt.context, next);
  };
}

/**
 * An error middleware that records the error on the request's span and passes it on. Express 5
 * errors are recorded without it; add it after your routes for Express 4 and Connect.
 *
 * @example
 * app.use(crosstraceErrors());
 */
export function crosstraceErrors(): ErrorMiddleware {
  return function crosstraceErrorMiddleware(err, req, _res, next) {
    requestTraceOf(req)?.recordError(err);
    next(err);
  };
}

/**
 * The server span of a request traced by {@link crosstrace} or {@link traceListener} (also on
 * `req.span`), or undefined.
 */
export function getRequestSpan(req: IncomingMessage): Span | undefined {
  return requestTraceOf(req)?.span;
}
