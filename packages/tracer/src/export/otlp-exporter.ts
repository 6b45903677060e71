import { readFileSync } from 'node:fs';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { CrosstraceTracerError, ErrorCode } from '../errors.js';

/** OTLP over HTTP encodings. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Options of {@link createOtlpExporter}; every one falls back to its `OTEL_EXPORTER_OTLP_*` variable. */
export interface OtlpExporterOptions {
  /** [`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`, `http/protobuf`] */
  protocol?: OtlpProtocol;
  /**
   * Collector URL. A URL without a path gets `/v1/traces` appended; a URL with a path is used as it
   * is. [`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`;
   * default `http://localhost:4318/v1/traces`]
   */
  endpoint?: string;
  /** Extra request headers [`OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`, `k=v,k2=v2`]. */
  headers?: Record<string, string>;
  /** Per export, retries included [`OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`, 10000 ms]. */
  timeoutMillis?: number;
  /** PEM root CA(s) trusted for an https endpoint [`OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE` file]. */
  ca?: string | Buffer;
  /** PEM client certificate for mTLS [`OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE` file]. */
  cert?: string | Buffer;
  /** PEM client key for mTLS [`OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_KEY` file]. */
  key?: string | Buffer;
  /** gzip request bodies [`OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION`]. */
  compression?: 'gzip' | 'none';
}

function env(name: string, e: NodeJS.ProcessEnv): string | undefined {
  const v = e[`OTEL_EXPORTER_OTLP_TRACES_${name}`] ?? e[`OTEL_EXPORTER_OTLP_${name}`];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function fileFromEnv(name: string, e: NodeJS.ProcessEnv): Buffer | undefined {
  const path = env(name, e);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `OTEL_EXPORTER_OTLP_${name}: cannot read "${path}"`,
      { cause },
    );
  }
}

/** Parses `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, percent-decoded); bad pairs are skipped. */
function parseHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // skip a badly encoded pair
    }
  }
  return out;
}

function resolveUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new CrosstraceTracerError(ErrorCode.InvalidConfig, `OTLP endpoint: not a URL: "${endpoint}"`, {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CrosstraceTracerError(ErrorCode.InvalidConfig, `OTLP endpoint: must be http(s): "${endpoint}"`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

/**
 * An OTLP/HTTP span exporter built on OpenTelemetry's own exporters
 * (`@opentelemetry/exporter-trace-otlp-proto` for `http/protobuf`,
 * `@opentelemetry/exporter-trace-otlp-http` for `http/json`), with TLS / mTLS material from options or
 * from the `OTEL_EXPORTER_OTLP_*` files. Retries 429/502/503/504 with exponential back-off,
 * honouring `Retry-After`, within `timeoutMillis`. Throws `CT_TRACER_INVALID_CONFIG` for a bad
 * endpoint, protocol or unreadable certificate file (start-up only).
 *
 * @example
 * const exporter = createOtlpExporter({ endpoint: 'https://collector:4318', ca: readFileSync('ca.pem') });
 * const tracer = createTracer({ serviceName: 'checkout', exporter });
 */
export function createOtlpExporter(
  options: OtlpExporterOptions = {},
  e: NodeJS.ProcessEnv = process.env,
): SpanExporter {
  const protocol = options.protocol ?? env('PROTOCOL', e) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `OTLP protocol: "${protocol}" is not supported here (http/protobuf or http/json)`,
    );
  }
  const ca = options.ca ?? fileFromEnv('CERTIFICATE', e);
  const cert = options.cert ?? fileFromEnv('CLIENT_CERTIFICATE', e);
  const key = options.key ?? fileFromEnv('CLIENT_KEY', e);
  if ((cert === undefined) !== (key === undefined)) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      'OTLP mTLS: client certificate and client key go together',
    );
  }
  const specific = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let url = 'http://localhost:4318/v1/traces';
  if (options.endpoint !== undefined) url = resolveUrl(options.endpoint);
  else if (specific) url = new URL(resolveUrl(specific)).toString();
  else if (base) {
    const u = new URL(resolveUrl(base));
    u.pathname = u.pathname === '/v1/traces' ? u.pathname : `${u.pathname.replace(/\/$/, '')}/v1/traces`;
    url = u.toString();
  }
  const timeoutText = env('TIMEOUT', e);
  const timeoutMillis =
    options.timeoutMillis ?? (timeoutText === undefined ? undefined : Number(timeoutText));
  if (timeoutMillis !== undefined && !(Number.isFinite(timeoutMillis) && timeoutMillis > 0)) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `OTEL_EXPORTER_OTLP_TIMEOUT: bad value "${timeoutText}"`,
    );
  }
  const compressionText = env('COMPRESSION', e);
  const config = {
    url,
    headers: { ...parseHeaders(env('HEADERS', e)), ...options.headers },
    timeoutMillis,
    compression: options.compression ?? (compressionText === 'gzip' ? 'gzip' : undefined),
    httpAgentOptions: ca !== undefined || cert !== undefined ? { keepAlive: true, ca, cert, key } : undefined,
  } as ConstructorParameters<typeof OtlpProtoExporter>[0];
  for (const k of Object.keys(config ?? {}) as (keyof typeof config)[]) {
    if (config?.[k] === undefined) delete config?.[k];
  }
  return protocol === 'http/json' ? new OtlpHttpJsonExporter(config) : new OtlpProtoExporter(config);
}
