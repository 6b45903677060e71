import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Writable } from 'node:stream';
import { ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { BridgeError, BridgeErrorCode } from '../errors.js';
import { encodeTraceRequest } from './encode-trace-request.js';

/** The outcome of one export: acknowledged, retryable failure, or permanently rejected. */
export type ExportOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly permanent: boolean; readonly error: Error };

/** Where batches of spans go; `export` resolves once the receiver acknowledged (never rejects). */
export interface SpanSink {
  export(spans: ReadableSpan[]): Promise<ExportOutcome>;
  /**
   * Optional: sends an already encoded OTLP protobuf `ExportTraceServiceRequest` of `spanCount`
   * spans. When present, the bridge writes lines straight into the request bytes (no span objects).
   */
  exportEncoded?(body: Uint8Array, spanCount: number): Promise<ExportOutcome>;
  /**
   * True when the sink is done with an `exportEncoded` body once the returned promise settles (it
   * keeps no reference, or copies): the bridge then writes the next batch into the same memory
   * instead of allocating a request per batch. Leave unset when bodies are kept.
   */
  readonly releasesEncodedBody?: boolean;
  shutdown(): Promise<void>;
}

/** TLS options of the OTLP exporter (PEM text). */
export interface TlsOptions {
  /** CA certificates to trust for the collector. */
  ca?: string | Buffer;
  /** Client certificate for mTLS. */
  cert?: string | Buffer;
  /** Client key for mTLS. */
  key?: string | Buffer;
  /** Set false to accept any server certificate (testing only). */
  rejectUnauthorized?: boolean;
}

/** Options of {@link createOtlpSink}. */
export interface OtlpSinkOptions {
  /** Full OTLP/HTTP traces URL; a URL without a path gets `/v1/traces`. */
  endpoint: string;
  headers?: Record<string, string>;
  tls?: TlsOptions;
  /** Per-export timeout (default 10 s). */
  timeoutMillis?: number;
}

/** Normalises an endpoint: `http://host:4318` → `http://host:4318/v1/traces`. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

/** 4xx other than 408/429 means the collector will never take this batch (OTLP/HTTP spec). */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * OTLP/HTTP protobuf export: spans encoded by {@link encodeTraceRequest} (or a request the bridge
 * encoded directly, `exportEncoded`), POSTed over a kept-alive HTTP(S) agent (TLS and mTLS
 * options). One request per batch; the caller retries with back-off.
 *
 * @example
 * const sink = createOtlpSink({ endpoint: 'http://127.0.0.1:4318' });
 */
export function createOtlpSink(options: OtlpSinkOptions): SpanSink {
  const url = new URL(tracesUrl(options.endpoint));
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ...options.tls })
    : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const timeout = options.timeoutMillis ?? 10_000;
  const headers = { ...options.headers, 'content-type': 'application/x-protobuf' };
  const post = (body: Uint8Array): Promise<ExportOutcome> =>
    new Promise<ExportOutcome>((resolve) => {
      const req = send(
        url,
        { method: 'POST', agent, headers: { ...headers, 'content-length': body.length }, timeout },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ ok: true });
            else {
              const error = new BridgeError(
                BridgeErrorCode.ExportFailed,
                `collector answered HTTP ${status}`,
              );
              resolve({ ok: false, permanent: isPermanentStatus(status), error });
            }
          });
          res.on('error', (cause) =>
            resolve({
              ok: false,
              permanent: false,
              error: new BridgeError(BridgeErrorCode.ExportFailed, 'response failed', { cause }),
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
      req.on('error', (cause) =>
        resolve({
          ok: false,
          permanent: false,
          error: new BridgeError(BridgeErrorCode.ExportFailed, `cannot reach ${url.host}: ${cause.message}`, {
            cause,
          }),
        }),
      );
      req.end(body);
    });
  return {
    export(spans) {
      let body: Uint8Array;
      try {
        body = encodeTraceRequest(spans);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        return Promise.resolve({ ok: false, permanent: true, error });
      }
      return post(body);
    },
    exportEncoded(body) {
      return post(body);
    },
    // Settled means answered (the collector read the body) or given up (the request destroyed).
    releasesEncodedBody: true,
    async shutdown() {
      agent.destroy();
    },
  };
}

/**
 * `--dry-run`: each batch is written as one OTLP/JSON `ExportTraceServiceRequest` line.
 *
 * @param out - where the lines go (stdout in the CLI)
 */
export function createJsonLinesSink(out: Writable): SpanSink {
  const decoder = new TextDecoder();
  return {
    async export(spans) {
      const bytes = JsonTraceSerializer.serializeRequest(spans);
      if (bytes === undefined) return { ok: false, permanent: true, error: new Error('cannot serialize') };
      const text = `${decoder.decode(bytes)}\n`;
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
      return { ok: true };
    },
    async shutdown() {},
  };
}

/**
 * Adapts any OpenTelemetry `SpanExporter` (such as `createOtlpExporter()` of `@crosstrace/tracer`)
 * to a sink: the export is acknowledged when the exporter reports success. An error with an HTTP
 * `code` of 4xx (not 408/429) is permanent.
 *
 * @example
 * const sink = createExporterSink(createOtlpExporter({ endpoint: 'https://collector:4318' }));
 */
export function createExporterSink(exporter: SpanExporter): SpanSink {
  return {
    export(spans) {
      return new Promise<ExportOutcome>((resolve) => {
        try {
          exporter.export(spans, (result) => {
            if (result.code === ExportResultCode.SUCCESS) resolve({ ok: true });
            else {
              const error = result.error ?? new Error('export failed');
              const code = (error as { code?: unknown }).code;
              resolve({ ok: false, permanent: typeof code === 'number' && isPermanentStatus(code), error });
            }
          });
        } catch (err) {
          resolve({
            ok: false,
            permanent: false,
            error: err instanceof Error ? err : new Error(String(err)),
          });
        }
      });
    },
    shutdown: () => exporter.shutdown(),
  };
}
