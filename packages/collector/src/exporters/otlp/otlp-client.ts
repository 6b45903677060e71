// One OTLP endpoint, spoken to over HTTP(S) (node:http keep-alive agents) or gRPC (@grpc/grpc-js,
// a generic client sending already-encoded bytes). TLS and mutual TLS by file paths; a bearer token
// or any headers. Never throws: every outcome is a SendResult.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { CollectorErrorCode, createError } from '../../errors.js';
import { decodePartialSuccess, resultOfHttp, retryDelayFromStatus, type SendResult } from './send-result.js';

export interface ClientTls {
  /** PEM CA file the server certificate must chain to (default: the system's roots). */
  ca?: string;
  /** PEM client certificate and key files (mutual TLS). */
  cert?: string;
  key?: string;
}

export interface OtlpClientOptions {
  /**
   * `http://host:4318`, `https://host:4318` (OTLP/HTTP, POST {path}/v1/traces) or `grpc://host:4317`,
   * `grpcs://host:4317` (OTLP/gRPC).
   */
  endpoint: string;
  tls?: ClientTls;
  /** Extra request headers / gRPC metadata, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Per request (default 10 000 ms). */
  timeoutMs?: number;
}

const GRPC_RETRYABLE = new Set([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
]);

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (cause) {
    throw createError(CollectorErrorCode.Config, `cannot read ${what} ${path}`, { statusCode: 400, cause });
  }
}

/** What a POST came to, with the response's headers when there was a response. */
export type PostResult = SendResult & { headers?: http.IncomingHttpHeaders };

/** A connection to one OTLP endpoint; `close()` releases its sockets. */
export interface OtlpClient {
  readonly endpoint: string;
  /** Sends an encoded ExportTraceServiceRequest. */
  exportTraces(payload: Uint8Array): Promise<SendResult>;
  /** HTTP endpoints only: POST `body` to `path` (the control-plane routes of a crosstrace gateway). */
  post(path: string, body: Uint8Array | string, contentType: string): Promise<PostResult>;
  close(): void;
}

class HttpOtlpClient implements OtlpClient {
  readonly endpoint: string;
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #lib: typeof http | typeof https;

  constructor(o: OtlpClientOptions) {
    this.endpoint = o.endpoint;
    this.#base = new URL(o.endpoint);
    const secure = this.#base.protocol === 'https:';
    this.#lib = secure ? https : http;
    this.#agent = secure
      ? new https.Agent({
          keepAlive: true,
          ca: readPem(o.tls?.ca, 'CA'),
          cert: readPem(o.tls?.cert, 'client certificate'),
          key: readPem(o.tls?.key, 'client key'),
        })
      : new http.Agent({ keepAlive: true });
    this.#headers = o.headers ?? {};
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  exportTraces(payload: Uint8Array): Promise<SendResult> {
    const prefix = this.#base.pathname.replace(/\/$/, '');
    return this.post(`${prefix}/v1/traces`, payload, 'application/x-protobuf');
  }

  post(path: string, body: Uint8Array | string, contentType: string): Promise<PostResult> {
    return new Promise<PostResult>((resolve) => {
      const url = new URL(path, this.#base);
      const req = this.#lib.request(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            ...this.#headers,
            'content-type': contentType,
            'content-length': String(Buffer.byteLength(body)),
          },
          timeout: this.#timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve({
              ...resultOfHttp(res.statusCode ?? 0, Buffer.concat(chunks), retryAfter),
              headers: res.headers,
            });
          });
          res.on('error', (err) => resolve({ kind: 'retry', afterMs: undefined, message: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (err) => resolve({ kind: 'retry', afterMs: undefined, message: err.message }));
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (b: Buffer) => b;

class GrpcOtlpClient implements OtlpClient {
  readonly endpoint: string;
  readonly #client: grpc.Client;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(o: OtlpClientOptions) {
    this.endpoint = o.endpoint;
    const u = new URL(o.endpoint);
    const creds =
      u.protocol === 'grpcs:'
        ? grpc.credentials.createSsl(
            readPem(o.tls?.ca, 'CA') ?? null,
            readPem(o.tls?.key, 'client key') ?? null,
            readPem(o.tls?.cert, 'client certificate') ?? null,
          )
        : grpc.credentials.createInsecure();
    this.#client = new grpc.Client(u.host, creds, {
      'grpc.keepalive_time_ms': 30_000,
      // a gateway back after a restart is reached within seconds, not grpc-js's default two minutes
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
    this.#headers = o.headers ?? {};
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  exportTraces(payload: Uint8Array): Promise<SendResult> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.#headers)) md.set(k.toLowerCase(), v);
    return new Promise<SendResult>((resolve) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(
        EXPORT_PATH,
        identity,
        identity,
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        md,
        { deadline: Date.now() + this.#timeoutMs },
        (err, res) => {
          if (err === null) {
            resolve({ kind: 'ok', ...partial(res) });
            return;
          }
          const code = err.code ?? grpc.status.UNKNOWN;
          const after = retryAfterOf(err.metadata);
          if (GRPC_RETRYABLE.has(code) || (code === grpc.status.RESOURCE_EXHAUSTED && after !== undefined))
            resolve({ kind: 'retry', afterMs: after, message: `gRPC ${grpc.status[code]}: ${err.details}` });
          else resolve({ kind: 'permanent', message: `gRPC ${grpc.status[code]}: ${err.details}` });
        },
      );
    });
  }

  post(): Promise<PostResult> {
    return Promise.resolve({ kind: 'permanent', message: 'POST needs an HTTP endpoint' });
  }

  close(): void {
    this.#client.close();
  }
}

function partial(res: Buffer | undefined): { rejected: number; message: string } {
  if (res === undefined || res.length === 0) return { rejected: 0, message: '' };
  return decodePartialSuccess(res);
}

function retryAfterOf(md: grpc.Metadata | undefined): number | undefined {
  if (md === undefined) return undefined;
  const details = md.get('grpc-status-details-bin')[0];
  if (details instanceof Buffer) {
    const d = retryDelayFromStatus(details);
    if (d !== undefined) return d;
  }
  const header = md.get('retry-after')[0];
  if (header !== undefined && /^[0-9]+$/.test(String(header))) return Number(header) * 1000;
  return undefined;
}

/**
 * A client for one OTLP endpoint, chosen by the URL's scheme (http, https, grpc, grpcs).
 *
 * @example
 * const client = createOtlpClient({ endpoint: 'grpc://tempo:4317' });
 * const r = await client.exportTraces(encodeTracesProtobuf(spans)); // { kind: 'ok', … }
 */
export function createOtlpClient(options: OtlpClientOptions): OtlpClient {
  const scheme = new URL(options.endpoint).protocol;
  if (scheme === 'grpc:' || scheme === 'grpcs:') return new GrpcOtlpClient(options);
  if (scheme === 'http:' || scheme === 'https:') return new HttpOtlpClient(options);
  throw createError(
    CollectorErrorCode.Config,
    `OTLP endpoint ${options.endpoint}: use http(s):// or grpc(s)://`,
    {
      statusCode: 400,
    },
  );
}
