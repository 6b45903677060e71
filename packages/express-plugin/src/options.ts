import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import { compileTrustedProxies, type TrustProxy } from './client-address.js';
import { CrosstraceExpressError, ErrorCode } from './errors.js';
import { REQUEST_HEADER_PREFIX, RESPONSE_HEADER_PREFIX } from './semconv.js';
import { ServerAddressCache } from './server-address.js';
import { SpanNames } from './span-names.js';
import { type ResolvedTracer, resolveTracer, type TracerSource } from './tracer-source.js';

/** The parts of a request URL that end up in span attributes. */
export interface UrlParts {
  /** The path, without the query. */
  path: string;
  /** The query string without the leading `?`, or undefined when there is none. */
  query: string | undefined;
}

/** What {@link CrosstraceOptions.spanName} receives. */
export interface SpanNameInfo {
  /** The semconv method (`GET`, … or `_OTHER`). */
  method: string;
  /** The matched route template (`/customer/:id`), or undefined when no route matched. */
  route: string | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

/** Options of {@link crosstrace}; every one is optional. */
export interface CrosstraceOptions {
  /** The tracer: a `createTracer()` result or an OpenTelemetry TracerProvider. Default: the global one. */
  tracer?: TracerSource;
  /** Paths (exact strings, or RegExps tested against the path) that get no span. Default: `/healthz`, `/readyz`, `/metrics`. */
  ignorePaths?: readonly (string | RegExp)[];
  /** Return true to skip tracing a request. */
  ignore?: (req: IncomingMessage) => boolean;
  /** Request headers recorded as `http.request.header.<name>` (case-insensitive). `x-request-id` always is. */
  captureRequestHeaders?: readonly string[];
  /** Response headers recorded as `http.response.header.<name>`. */
  captureResponseHeaders?: readonly string[];
  /** Query parameters whose values are replaced by `REDACTED` in `url.query`. Default: OTel's list plus common secrets. */
  redactQueryParams?: readonly string[];
  /** Rewrites the path and query before they become attributes (runs after `redactQueryParams`). */
  redactUrl?: (url: UrlParts) => UrlParts;
  /** Proxies trusted to set `X-Forwarded-For`: IPs, CIDR ranges, `loopback`, `private`, or a predicate. Default: none. */
  trustedProxies?: TrustProxy;
  /** Names the server span; default `METHOD route`, or `METHOD` when no route matched. */
  spanName?: (info: SpanNameInfo) => string;
  /** Extra attributes when the span starts. */
  requestAttributes?: (req: IncomingMessage) => Attributes | undefined;
  /** Extra attributes when the span ends. */
  responseAttributes?: (req: IncomingMessage, res: ServerResponse) => Attributes | undefined;
  /** The header carrying the ingress request id. Default `x-request-id`. */
  requestIdHeader?: string;
  /** Join the ingress trace derived from the request id when a request has no trace context. Default true. */
  joinRequestId?: boolean;
  /**
   * Express 4 and 5: keep an error middleware last in the app's router that records every error
   * reaching Express's final handler (thrown, rejected or passed to `next(err)` and answered by no
   * error middleware of the app). Default true.
   */
  errorLayer?: boolean;
  /**
   * Express 5: also record errors at their origin from the router's `express.router.request`
   * diagnostics channel, including those the app's own error middleware answers. Default false:
   * subscribing makes the router trace every layer call of every request.
   */
  captureRouterErrors?: boolean;
  /**
   * Answer every traced request with a `traceresponse` header (W3C Trace Context Level 2):
   * `00-{trace-id}-{server span id}-{flags}`, so a caller (a load balancer, a browser, a client of
   * another vendor) learns the trace and span this server recorded. Default false: the header
   * tells the caller the trace id, which a public endpoint may not want to reveal.
   */
  traceResponse?: boolean;
}

/** The validated, frozen configuration, with the per-middleware caches of the request path. */
export interface Config {
  readonly resolved: ResolvedTracer;
  readonly ignoreExact: ReadonlySet<string>;
  /** The same paths as an array, for the direct comparison of a short list. */
  readonly ignoreExactPaths: readonly string[];
  readonly ignorePatterns: readonly RegExp[];
  readonly ignore: ((req: IncomingMessage) => boolean) | undefined;
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  /** `http.request.header.<name>` for each of `requestHeaders`, same order. */
  readonly requestHeaderAttributes: readonly string[];
  /** `http.response.header.<name>` for each of `responseHeaders`, same order. */
  readonly responseHeaderAttributes: readonly string[];
  /** `http.request.header.<requestIdHeader>`. */
  readonly requestIdAttribute: string;
  readonly spanNames: SpanNames;
  readonly serverAddresses: ServerAddressCache;
  readonly redactQueryParams: ReadonlySet<string>;
  readonly redactUrl: ((url: UrlParts) => UrlParts) | undefined;
  readonly isTrustedProxy: ((address: string) => boolean) | undefined;
  readonly spanName: ((info: SpanNameInfo) => string) | undefined;
  readonly requestAttributes: ((req: IncomingMessage) => Attributes | undefined) | undefined;
  readonly responseAttributes:
    | ((req: IncomingMessage, res: ServerResponse) => Attributes | undefined)
    | undefined;
  readonly requestIdHeader: string;
  readonly joinRequestId: boolean;
  readonly errorLayer: boolean;
  readonly captureRouterErrors: boolean;
  readonly traceResponse: boolean;
}

/** Query parameters redacted by default: the OTel semconv list plus common secret names. */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze([
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
  'access_token',
  'token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'client_secret',
]);

export const DEFAULT_IGNORE_PATHS: readonly string[] = Object.freeze(['/healthz', '/readyz', '/metrics']);

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'tracer',
  'ignorePaths',
  'ignore',
  'captureRequestHeaders',
  'captureResponseHeaders',
  'redactQueryParams',
  'redactUrl',
  'trustedProxies',
  'spanName',
  'requestAttributes',
  'responseAttributes',
  'requestIdHeader',
  'joinRequestId',
  'errorLayer',
  'captureRouterErrors',
  'traceResponse',
]);

function invalid(option: string, expected: string, got: unknown): CrosstraceExpressError {
  const shown = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  return new CrosstraceExpressError(
    ErrorCode.InvalidOption,
    `option "${option}" must be ${expected}, got ${shown}`,
  );
}

function optionalFunction<F>(opts: Record<string, unknown>, name: string): F | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw invalid(name, 'a function', v);
  return v as F;
}

function optionalBoolean(opts: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = opts[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalid(name, 'a boolean', v);
  return v;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerList(opts: Record<string, unknown>, name: string, dflt: readonly string[]): string[] {
  const v = opts[name];
  if (v === undefined) return [...dflt];
  if (!Array.isArray(v)) throw invalid(name, 'an array of header names', v);
  return v.map((h, i) => {
    if (typeof h !== 'string' || !HEADER_NAME.test(h)) throw invalid(`${name}[${i}]`, 'a header name', h);
    return h.toLowerCase();
  });
}

/**
 * Validates `options` and returns the frozen configuration; throws a {@link CrosstraceExpressError}
 * naming the option on the first bad one.
 */
export function createConfig(options: CrosstraceOptions | undefined): Config {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalid('options', 'an object', options);
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new CrosstraceExpressError(ErrorCode.InvalidOption, `unknown option "${key}"`);
    }
  }

  const ignorePaths = opts.ignorePaths ?? DEFAULT_IGNORE_PATHS;
  if (!Array.isArray(ignorePaths))
    throw invalid('ignorePaths', 'an array of strings or RegExps', ignorePaths);
  const ignoreExact = new Set<string>();
  const ignorePatterns: RegExp[] = [];
  ignorePaths.forEach((p: unknown, i: number) => {
    if (typeof p === 'string') ignoreExact.add(p);
    else if (p instanceof RegExp) ignorePatterns.push(p);
    else throw invalid(`ignorePaths[${i}]`, 'a string or a RegExp', p);
  });

  const redact = opts.redactQueryParams ?? DEFAULT_REDACTED_QUERY_PARAMS;
  if (!Array.isArray(redact)) throw invalid('redactQueryParams', 'an array of strings', redact);
  redact.forEach((p: unknown, i: number) => {
    if (typeof p !== 'string' || p.length === 0)
      throw invalid(`redactQueryParams[${i}]`, 'a non-empty string', p);
  });

  const requestIdHeader = opts.requestIdHeader ?? 'x-request-id';
  if (typeof requestIdHeader !== 'string' || !HEADER_NAME.test(requestIdHeader)) {
    throw invalid('requestIdHeader', 'a header name', requestIdHeader);
  }
  const lowerRequestId = requestIdHeader.toLowerCase();
  const requestHeaders = headerList(opts, 'captureRequestHeaders', []).filter((h) => h !== lowerRequestId);
  const responseHeaders = headerList(opts, 'captureResponseHeaders', []);

  return Object.freeze({
    resolved: resolveTracer(opts.tracer),
    ignoreExact,
    ignoreExactPaths: Object.freeze([...ignoreExact]),
    ignorePatterns: Object.freeze(ignorePatterns),
    ignore: optionalFunction<(req: IncomingMessage) => boolean>(opts, 'ignore'),
    requestHeaders: Object.freeze(requestHeaders),
    responseHeaders: Object.freeze(responseHeaders),
    requestHeaderAttributes: Object.freeze(requestHeaders.map((h) => `${REQUEST_HEADER_PREFIX}${h}`)),
    responseHeaderAttributes: Object.freeze(responseHeaders.map((h) => `${RESPONSE_HEADER_PREFIX}${h}`)),
    requestIdAttribute: `${REQUEST_HEADER_PREFIX}${lowerRequestId}`,
    spanNames: new SpanNames(),
    serverAddresses: new ServerAddressCache(),
    redactQueryParams: new Set(redact as string[]),
    redactUrl: optionalFunction<(url: UrlParts) => UrlParts>(opts, 'redactUrl'),
    isTrustedProxy: compileTrustedProxies(opts.trustedProxies),
    spanName: optionalFunction<(info: SpanNameInfo) => string>(opts, 'spanName'),
    requestAttributes: optionalFunction<(req: IncomingMessage) => Attributes | undefined>(
      opts,
      'requestAttributes',
    ),
    responseAttributes: optionalFunction<
      (req: IncomingMessage, res: ServerResponse) => Attributes | undefined
    >(opts, 'responseAttributes'),
    requestIdHeader: lowerRequestId,
    joinRequestId: optionalBoolean(opts, 'joinRequestId', true),
    errorLayer: optionalBoolean(opts, 'errorLayer', true),
    captureRouterErrors: optionalBoolean(opts, 'captureRouterErrors', false),
    traceResponse: optionalBoolean(opts, 'traceResponse', false),
  });
}
