import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { context } from '@opentelemetry/api';
import { type ClientOptions, createClientConfig, startClientSpan } from './client-span.js';
import { inject } from './tracer-source.js';

/** `http.request`'s signature. */
export type RequestFunction = {
  (options: RequestOptions | string | URL, callback?: (res: IncomingMessage) => void): ClientRequest;
  (url: string | URL, options: RequestOptions, callback?: (res: IncomingMessage) => void): ClientRequest;
};

/** Options of {@link createTracedRequest}. */
export interface TracedRequestOptions extends ClientOptions {
  /** The request function to wrap. Default: `http.request`, or `https.request` for `https:` URLs. */
  request?: RequestFunction;
}

const setter = {
  set(carrier: ClientRequest, key: string, value: string): void {
    if (!carrier.headersSent) carrier.setHeader(key, value);
  },
};

interface Target {
  method: string;
  url: URL | undefined;
  https: boolean;
}

function describe(args: unknown[]): Target {
  let url: URL | undefined;
  let opts: RequestOptions | undefined;
  const [a, b] = args;
  try {
    if (typeof a === 'string') url = new URL(a);
    else if (a instanceof URL) url = a;
    else if (typeof a === 'object' && a !== null) opts = a as RequestOptions;
    if (url !== undefined && typeof b === 'object' && b !== null) opts = b as RequestOptions;
  } catch {
    // an unparsable URL: http.request will report it
  }
  const protocol = opts?.protocol ?? url?.protocol ?? 'http:';
  if (opts !== undefined) {
    const host = opts.hostname ?? opts.host ?? url?.hostname ?? 'localhost';
    const port = opts.port ?? url?.port;
    const path = opts.path ?? (url ? `${url.pathname}${url.search}` : '/');
    try {
      const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      url = new URL(`${protocol}//${h}${port ? `:${port}` : ''}${path}`);
    } catch {
      // keep what we had
    }
  }
  return { method: (opts?.method ?? 'GET').toUpperCase(), url, https: protocol === 'https:' };
}

/**
 * Returns an `http.request` look-alike that starts a CLIENT span per call (ended when the
 * response body ends, the connection closes or the request fails), with propagation headers and
 * `X-Request-ID` forwarding.
 *
 * @example
 * const request = createTracedRequest({ tracer });
 * request('http://inventory/items/42', (res) => res.resume()).end();
 */
export function createTracedRequest(options?: TracedRequestOptions): RequestFunction {
  const config = createClientConfig(options, 'createTracedRequest');
  const impl = options?.request;
  if (impl !== undefined && typeof impl !== 'function') {
    throw new TypeError('createTracedRequest(): option "request" must be a function');
  }
  return function tracedRequest(...args: unknown[]): ClientRequest {
    const target = describe(args);
    const fn = (impl ?? (target.https ? https.request : http.request)) as (...a: unknown[]) => ClientRequest;
    let call: ReturnType<typeof startClientSpan>;
    try {
      call = startClientSpan(config, target.method, target.url);
    } catch {
      return fn(...args);
    }
    let req: ClientRequest;
    try {
      req = context.with(call.context, fn, undefined, ...args);
    } catch (err) {
      call.finish(undefined, err);
      throw err;
    }
    try {
      inject(call.resolved, call.context, req, setter);
      const scope = call.scope;
      if (
        config.forwardRequestId &&
        scope?.requestId !== undefined &&
        !req.hasHeader(scope.requestIdHeader)
      ) {
        setter.set(req, scope.requestIdHeader, scope.requestId);
      }
      let responded = false;
      // Prepended: runs first, so the other 'response' listeners are still counted.
      req.prependOnceListener('response', (res: IncomingMessage) => {
        responded = true;
        const status = res.statusCode;
        // Only our listener: nobody reads the body, so drain it as http.request would have.
        if (req.listenerCount('response') === 0) res.resume();
        res.once('end', () => call.finish(status));
        res.once('close', () => call.finish(status));
      });
      req.once('error', (err) => call.finish(undefined, err));
      req.once('close', () => {
        // closed without a response and without an error event (e.g. destroyed by the caller)
        if (!responded) call.finish(undefined, new Error('request closed before a response'));
      });
    } catch {
      // headers already sent or an exotic request object: the call goes on untraced
    }
    return req;
  } as RequestFunction;
}

/** `http.request` (or `https.request` for `https:` URLs), traced with the current request's tracer. */
export const tracedRequest: RequestFunction = createTracedRequest();
