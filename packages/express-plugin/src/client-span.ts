import { LAYER_ATTRIBUTE, Layer } from '@crosstrace/tracer';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { CrosstraceExpressError, ErrorCode } from './errors.js';
import { DEFAULT_REDACTED_QUERY_PARAMS } from './options.js';
import * as sc from './semconv.js';
import {
  type RequestScope,
  type ResolvedTracer,
  requestScope,
  resolveTracer,
  type TracerSource,
} from './tracer-source.js';
import { redactFullUrl } from './url.js';

/** Options of the outgoing-call wrappers ({@link createTracedFetch}, {@link createTracedRequest}). */
export interface ClientOptions {
  /**
   * The tracer. Default: inside a request traced by `crosstrace()`, that middleware's tracer;
   * elsewhere the global one.
   */
  tracer?: TracerSource;
  /** Query parameters redacted in `url.full`. Default as for `crosstrace()`. */
  redactQueryParams?: readonly string[];
  /** Forward the incoming `X-Request-ID` of the current request. Default true. */
  forwardRequestId?: boolean;
}

export interface ClientConfig {
  readonly resolved: ResolvedTracer | undefined;
  readonly redact: ReadonlySet<string>;
  readonly forwardRequestId: boolean;
}

let globalResolved: ResolvedTracer | undefined;

export function createClientConfig(options: ClientOptions | undefined, fn: string): ClientConfig {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new CrosstraceExpressError(ErrorCode.InvalidOption, `${fn}(): options must be an object`);
  }
  const o = options ?? {};
  const redact = o.redactQueryParams ?? DEFAULT_REDACTED_QUERY_PARAMS;
  if (!Array.isArray(redact) || redact.some((r) => typeof r !== 'string')) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidOption,
      `option "redactQueryParams" must be an array of strings`,
    );
  }
  if (o.forwardRequestId !== undefined && typeof o.forwardRequestId !== 'boolean') {
    throw new CrosstraceExpressError(ErrorCode.InvalidOption, `option "forwardRequestId" must be a boolean`);
  }
  return Object.freeze({
    resolved: o.tracer === undefined ? undefined : resolveTracer(o.tracer),
    redact: new Set(redact),
    forwardRequestId: o.forwardRequestId ?? true,
  });
}

/** A started CLIENT span with the context to inject and run the call in. */
export interface ClientCall {
  readonly span: Span;
  readonly context: Context;
  readonly resolved: ResolvedTracer;
  readonly scope: RequestScope | undefined;
  /** Sets the response status and ends the span; later calls do nothing. */
  finish(status: number | undefined, err?: unknown): void;
}

export function startClientSpan(config: ClientConfig, method: string, url: URL | undefined): ClientCall {
  const active = context.active();
  const scope = requestScope(active);
  globalResolved ??= resolveTracer(undefined);
  const resolved = config.resolved ?? scope?.resolved ?? globalResolved;
  const m = sc.normaliseMethod(method);
  const attributes: Attributes = {
    [LAYER_ATTRIBUTE]: Layer.App,
    [sc.ATTR_HTTP_REQUEST_METHOD]: m,
  };
  if (m === '_OTHER') attributes[sc.ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method;
  if (url !== undefined) {
    attributes[sc.ATTR_URL_FULL] = redactFullUrl(url, config.redact);
    attributes[sc.ATTR_SERVER_ADDRESS] = url.hostname.startsWith('[')
      ? url.hostname.slice(1, -1)
      : url.hostname;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    attributes[sc.ATTR_SERVER_PORT] = port;
  }
  const span = resolved.tracer.startSpan(
    m === '_OTHER' ? 'HTTP' : m,
    { kind: SpanKind.CLIENT, attributes },
    active,
  );
  const ctx = trace.setSpan(active, span);
  let ended = false;
  return {
    span,
    context: ctx,
    resolved,
    scope,
    finish(status, err) {
      if (ended) return;
      ended = true;
      try {
        if (status !== undefined) span.setAttribute(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (err !== undefined) {
          span.recordException(err instanceof Error ? err : String(err));
          span.setAttribute(sc.ATTR_ERROR_TYPE, err instanceof Error ? err.name : typeof err);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: err instanceof Error ? err.message : String(err),
          });
        } else if (status !== undefined && status >= 400) {
          span.setAttribute(sc.ATTR_ERROR_TYPE, String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      } catch {
        // never throw into the caller
      }
    },
  };
}
