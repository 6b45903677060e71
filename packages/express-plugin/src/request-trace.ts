import { type IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { contextFromRequestId, Layer } from '@crosstrace/tracer';
import { ADOPT_ATTRIBUTES } from '@crosstrace/tracer/api';
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { clientAddress } from './client-address.js';
import type { Config } from './options.js';
import { RequestContext } from './request-context.js';
import { type RequestState, requestState, storeRequestState } from './request-store.js';
import { watchResponseFinish } from './response-finish.js';
import { routeTemplate } from './route.js';
import * as sc from './semconv.js';
import { setTraceResponse } from './trace-response.js';
import { extract, type RequestScope, type ResolvedTracer } from './tracer-source.js';
import { redactQuery, splitTarget } from './url.js';

interface TracedRequest extends IncomingMessage {
  originalUrl?: string;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const s = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof s === 'number' && Number.isInteger(s) ? s : undefined;
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.name || err.constructor?.name || 'Error';
  return typeof err;
}

/** Runs a user hook; a hook that throws is ignored (instrumentation never throws into user code). */
function safeAttributes(fn: () => Attributes | undefined): Attributes | undefined {
  try {
    const a = fn();
    return typeof a === 'object' && a !== null ? a : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One incoming request's SERVER span: started by {@link startRequestTrace}, ended exactly once
 * when the response finishes or its connection closes first (aborted).
 */
export class RequestTrace implements RequestScope, RequestState {
  readonly span: Span;
  /** The active context for the request's handlers: the server span plus the request scope. */
  readonly context: Context;
  private readonly config: Config;
  private readonly res: ServerResponse;
  private readonly method: string;
  // RequestScope, for outgoing calls made while the request is handled
  readonly resolved: ResolvedTracer;
  readonly requestId: string | undefined;
  readonly requestIdHeader: string;
  readonly req: TracedRequest;
  ended = false;
  nextOnSocket: RequestState | undefined = undefined;
  private error: unknown;
  private hasError = false;

  constructor(
    config: Config,
    req: TracedRequest,
    res: ServerResponse,
    method: string,
    span: Span,
    parent: Context,
    requestId: string | undefined,
  ) {
    this.config = config;
    this.resolved = config.resolved;
    this.requestIdHeader = config.requestIdHeader;
    this.requestId = requestId;
    this.req = req;
    this.res = res;
    this.method = method;
    this.span = span;
    this.context = new RequestContext(parent, span, this);
  }

  /**
   * Hooks the span's end: on a node:http response whose request hangs off its socket, the
   * process-wide finished-response channel and the socket's `close` (no per-request listener);
   * otherwise the response's `close`, which comes both after `finish` and when the connection
   * goes first (`writableFinished` tells the two apart).
   */
  watchEnd(onSocket: boolean): void {
    const res = this.res;
    if (onSocket && res instanceof ServerResponse) {
      watchResponseFinish();
      return;
    }
    res.on('close', () => this.end(!res.writableFinished));
  }

  responseFinished(): void {
    this.end(false);
  }

  socketClosed(): void {
    this.end(!this.res.writableFinished);
  }

  /** Records a thrown or forwarded error on the span (each error object once). */
  recordError(err: unknown): void {
    if (this.ended || (this.hasError && this.error === err)) return;
    this.hasError = true;
    this.error = err;
    try {
      this.span.recordException(err instanceof Error ? err : String(err));
    } catch {
      // a span implementation that throws must not reach the app
    }
  }

  /** Ends the span; later calls do nothing. */
  end(aborted: boolean): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.finishSpan(aborted);
    } catch {
      // never throw into the response's event emitter
    }
  }

  private finishSpan(aborted: boolean): void {
    const { span, req, res, config } = this;
    const route = routeTemplate(req);
    // semconv: an unknown method is named `HTTP`
    const shown = this.method === '_OTHER' ? 'HTTP' : this.method;
    let name = config.spanNames.of(shown, route);
    if (config.spanName !== undefined) {
      try {
        const custom = config.spanName({ method: this.method, route, req, res });
        if (typeof custom === 'string' && custom.length > 0) name = custom;
      } catch {
        // keep the default name
      }
    }
    span.updateName(name);
    if (!span.isRecording()) {
      span.end();
      return;
    }
    const status = res.statusCode;
    if (route !== undefined) span.setAttribute(sc.ATTR_HTTP_ROUTE, route);
    if (!aborted || res.headersSent) span.setAttribute(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    const responseHeaders = config.responseHeaders;
    for (let i = 0; i < responseHeaders.length; i++) {
      const v = res.getHeader(responseHeaders[i]);
      if (v !== undefined) {
        span.setAttribute(config.responseHeaderAttributes[i], Array.isArray(v) ? v.map(String) : [String(v)]);
      }
    }
    if (aborted) {
      span.setAttribute(sc.ATTR_ABORTED, true);
      span.setAttribute(sc.ATTR_ERROR_TYPE, 'aborted');
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'client closed the connection before the response finished',
      });
    } else if (status >= 500) {
      span.setAttribute(sc.ATTR_ERROR_TYPE, this.hasError ? errorName(this.error) : String(status));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: this.hasError ? errorMessage(this.error) : undefined,
      });
    } else if (this.hasError) {
      // A thrown error is a failure unless it said it was the client's (an HTTP 4xx error object).
      const declared = statusOf(this.error);
      if (declared === undefined || declared >= 500) {
        span.setAttribute(sc.ATTR_ERROR_TYPE, errorName(this.error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(this.error) });
      }
    }
    if (config.responseAttributes !== undefined) {
      const hook = config.responseAttributes;
      const extra = safeAttributes(() => hook(req, res));
      if (extra) span.setAttributes(extra);
    }
    span.end();
  }
}

function errorMessage(err: unknown): string | undefined {
  if (err instanceof Error) return err.message;
  return err === undefined ? undefined : String(err);
}

/**
 * `network.protocol.version` as node:http reports it (`req.httpVersion`), as constants for the
 * usual versions: node:http makes a fresh string per request, which the span would keep.
 */
function protocolVersion(req: IncomingMessage): string {
  const version = req.httpVersion;
  if (version === '1.1') return '1.1';
  if (version === '1.0') return '1.0';
  return version === '2.0' ? '2.0' : version;
}

/** True when the request's path is ignored by the configuration. */
function isIgnored(config: Config, req: IncomingMessage, path: string): boolean {
  // A few exact paths (the default three) are compared directly: a Set would hash each request's
  // fresh path string first.
  const exact = config.ignoreExactPaths;
  if (exact.length <= 8) {
    for (let i = 0; i < exact.length; i++) if (exact[i] === path) return true;
  } else if (config.ignoreExact.has(path)) {
    return true;
  }
  const patterns = config.ignorePatterns;
  for (let i = 0; i < patterns.length; i++) {
    const re = patterns[i];
    re.lastIndex = 0;
    if (re.test(path)) return true;
  }
  if (config.ignore !== undefined) {
    try {
      return config.ignore(req) === true;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Starts the SERVER span of one incoming request, or returns undefined when the request is
 * ignored. Never throws.
 */
export function startRequestTrace(
  config: Config,
  req: IncomingMessage,
  res: ServerResponse,
): RequestTrace | undefined {
  const socket = req.socket;
  const existing = requestState(req, socket);
  if (existing instanceof RequestTrace) return existing;
  try {
    return start(config, req as TracedRequest, res, socket);
  } catch {
    return undefined;
  }
}

function start(
  config: Config,
  req: TracedRequest,
  res: ServerResponse,
  socket: IncomingMessage['socket'] | undefined,
): RequestTrace | undefined {
  let { path, query } = splitTarget(req.originalUrl ?? req.url);
  if (isIgnored(config, req, path)) return undefined;

  const headers = req.headers;
  const requestId = headerValue(headers[config.requestIdHeader]);
  let parent = extract(config.resolved, ROOT_CONTEXT, headers, defaultTextMapGetter);
  if (config.joinRequestId && requestId !== undefined && trace.getSpanContext(parent) === undefined) {
    const ingress = contextFromRequestId(requestId);
    if (ingress !== undefined) {
      parent = trace.setSpanContext(parent, {
        traceId: ingress.traceId,
        spanId: ingress.spanId,
        // The ingress logs every request, so its trace exists: the app joins it as sampled.
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
    }
  }

  const rawMethod = req.method;
  const method = sc.normaliseMethod(rawMethod);
  if (query !== undefined) query = redactQuery(query, config.redactQueryParams);
  if (config.redactUrl !== undefined) {
    try {
      const out = config.redactUrl({ path, query });
      if (out && typeof out.path === 'string') {
        path = out.path;
        query = typeof out.query === 'string' ? out.query : undefined;
      }
    } catch {
      // keep the default redaction
    }
  }

  // Literal keys (the values of LAYER_ATTRIBUTE and the semconv constants) here and below: V8 builds
  // this object from a boilerplate and adds the optional ones with monomorphic stores; keys read
  // from the semconv module would be keyed stores through the megamorphic cache on every request.
  const attributes: Attributes = {
    'crosstrace.layer': Layer.App,
    'http.request.method': method,
    'url.path': path,
    'url.scheme': (socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
    'network.protocol.version': protocolVersion(req),
  };
  if (method === '_OTHER' && rawMethod !== undefined) attributes['http.request.method_original'] = rawMethod;
  if (query !== undefined) attributes['url.query'] = query;
  const host = headers.host;
  if (host !== undefined) {
    const { address, port } = config.serverAddresses.of(host);
    attributes['server.address'] = address;
    if (port !== undefined) attributes['server.port'] = port;
  } else if (socket?.localAddress !== undefined) {
    attributes['server.address'] = socket.localAddress;
    if (socket.localPort !== undefined) attributes['server.port'] = socket.localPort;
  }
  const peer = socket?.remoteAddress;
  const client = clientAddress(peer, headers['x-forwarded-for'], config.isTrustedProxy);
  if (client !== undefined) attributes['client.address'] = client;
  if (peer !== undefined) attributes['network.peer.address'] = peer;
  if (socket?.remotePort !== undefined) attributes['network.peer.port'] = socket.remotePort;
  const ua = headers['user-agent'];
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  if (requestId !== undefined) attributes[config.requestIdAttribute] = [requestId];
  const requestHeaders = config.requestHeaders;
  for (let i = 0; i < requestHeaders.length; i++) {
    const v = headers[requestHeaders[i]];
    if (v !== undefined) attributes[config.requestHeaderAttributes[i]] = Array.isArray(v) ? v : [v];
  }
  if (config.requestAttributes !== undefined) {
    const hook = config.requestAttributes;
    const extra = safeAttributes(() => hook(req));
    if (extra) Object.assign(attributes, extra);
  }

  // The attributes object is handed over: a crosstrace tracer keeps it as the span's attributes
  // instead of copying it (it is not touched here again); other tracers copy it.
  const span = config.resolved.tracer.startSpan(
    method === '_OTHER' ? 'HTTP' : method,
    { kind: SpanKind.SERVER, attributes, [ADOPT_ATTRIBUTES]: true } as SpanOptions,
    parent,
  );
  if (config.traceResponse) setTraceResponse(res, span);
  const rt = new RequestTrace(config, req, res, method, span, parent, requestId);
  rt.watchEnd(storeRequestState(req, rt, socket));
  return rt;
}

/** The request's trace, when a crosstrace middleware or listener wrapper started one. */
export function requestTraceOf(req: IncomingMessage): RequestTrace | undefined {
  const state = requestState(req);
  return state instanceof RequestTrace ? state : undefined;
}
