import { context } from '@opentelemetry/api';
import { type ClientOptions, createClientConfig, startClientSpan } from './client-span.js';
import { inject } from './tracer-source.js';

/** Options of {@link createTracedFetch}. */
export interface TracedFetchOptions extends ClientOptions {
  /** The fetch to wrap. Default: the global `fetch` at call time (undici in Node). */
  fetch?: typeof fetch;
}

const headersSetter = {
  set(carrier: Headers, key: string, value: string): void {
    carrier.set(key, value);
  },
};

function parseUrl(input: string | URL | Request): URL | undefined {
  try {
    if (input instanceof URL) return input;
    return new URL(typeof input === 'string' ? input : input.url);
  } catch {
    return undefined;
  }
}

/**
 * Returns a `fetch` that starts a CLIENT span per call (ended when the response headers arrive
 * or the call fails), injects the tracer's propagation headers and forwards the incoming
 * `X-Request-ID`. Bad options throw a `CrosstraceExpressError`; calls never throw anything
 * `fetch` itself would not.
 *
 * @example
 * const fetchTraced = createTracedFetch({ tracer });
 * await fetchTraced('http://inventory/items/42');
 */
export function createTracedFetch(options?: TracedFetchOptions): typeof fetch {
  const config = createClientConfig(options, 'createTracedFetch');
  const impl = options?.fetch;
  if (impl !== undefined && typeof impl !== 'function') {
    throw new TypeError('createTracedFetch(): option "fetch" must be a function');
  }
  return async function tracedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const doFetch = impl ?? globalThis.fetch;
    let call: ReturnType<typeof startClientSpan>;
    let headers: Headers;
    try {
      const isRequest = typeof Request !== 'undefined' && input instanceof Request;
      const method = init?.method ?? (isRequest ? (input as Request).method : 'GET');
      headers = new Headers(init?.headers ?? (isRequest ? (input as Request).headers : undefined));
      call = startClientSpan(config, method.toUpperCase(), parseUrl(input));
      inject(call.resolved, call.context, headers, headersSetter);
      const scope = call.scope;
      if (config.forwardRequestId && scope?.requestId !== undefined && !headers.has(scope.requestIdHeader)) {
        headers.set(scope.requestIdHeader, scope.requestId);
      }
    } catch {
      return doFetch(input, init);
    }
    try {
      const response = await context.with(call.context, doFetch, undefined, input, { ...init, headers });
      call.finish(response.status);
      return response;
    } catch (err) {
      call.finish(undefined, err);
      throw err;
    }
  };
}

/**
 * The global `fetch`, traced: a CLIENT span per call with propagation headers and `X-Request-ID`
 * forwarding, using the tracer of the request being handled (or the global tracer).
 *
 * @example
 * app.get('/dispatch', async (req, res) => {
 *   const r = await tracedFetch('http://driver/find');
 *   res.json(await r.json());
 * });
 */
export const tracedFetch: typeof fetch = createTracedFetch();
