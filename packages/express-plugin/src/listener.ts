import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { type CrosstraceOptions, createConfig } from './options.js';
import { startRequestTrace } from './request-trace.js';

/** A `node:http` request listener (sync or async). */
export type RequestListener<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> = (req: Req, res: Res) => unknown;

/**
 * Wraps a bare `node:http` request listener: one SERVER span per request, active while the
 * listener runs. A listener's own throw or rejection is recorded on the span and passed on
 * unchanged.
 *
 * @param listener - the request listener to trace
 * @param options - as for {@link crosstrace}
 * @example
 * http.createServer(traceListener((req, res) => res.end('ok'), { tracer })).listen(8080);
 */
export function traceListener<Req extends IncomingMessage, Res extends ServerResponse>(
  listener: RequestListener<Req, Res>,
  options?: CrosstraceOptions,
): (req: Req, res: Res) => unknown {
  const config = createConfig(options);
  return function tracedListener(req, res) {
    const rt = startRequestTrace(config, req, res);
    if (rt === undefined) return listener(req, res);
    let ret: unknown;
    try {
      ret = context.with(rt.context, listener, undefined, req, res);
    } catch (err) {
      rt.recordError(err);
      throw err;
    }
    if (ret instanceof Promise) {
      return ret.catch((err: unknown) => {
        rt.recordError(err);
        throw err;
      });
    }
    return ret;
  };
}
