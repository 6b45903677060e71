/**
 * Errors with stable codes, in the manner of Fastify's `lib/errors.js`. A permanent error is the
 * sender's to fix (answered 4xx, never retried); a retryable one is ours (429/503 with
 * `Retry-After`), as the OpenTelemetry Collector's `consumererror` distinguishes.
 */

/**
 * Stable error codes of `@crosstrace/collector`. A code is a contract: clients and tests match on
 * it, so a code is added here and never renamed.
 */
export const CollectorErrorCode = {
  /** A configuration option (flag, environment variable or file) is invalid; names the option. */
  Config: 'CT_COLLECTOR_CONFIG',
  /** The request body is malformed (bad OTLP, a corrupt compressed body, an aborted upload). */
  BadRequest: 'CT_COLLECTOR_BAD_REQUEST',
  /** The request body is larger than the receiver accepts. */
  PayloadTooLarge: 'CT_COLLECTOR_PAYLOAD_TOO_LARGE',
  /** The request's `Content-Encoding` is not one the receiver decodes. */
  UnsupportedEncoding: 'CT_COLLECTOR_UNSUPPORTED_ENCODING',
  /** The ingest queue or the in-memory request budget is full; retry later. */
  QueueFull: 'CT_COLLECTOR_QUEUE_FULL',
  /** The pipeline failed for a reason of ours; retry later. */
  Unavailable: 'CT_COLLECTOR_UNAVAILABLE',
  /** The storage writer could not store a batch; retry later. */
  StorageUnavailable: 'CT_COLLECTOR_STORAGE_UNAVAILABLE',
  /** The collector is shutting down and takes no new spans. */
  ShuttingDown: 'CT_COLLECTOR_SHUTTING_DOWN',
  /** The stitching processor failed after the spans were stored. */
  StitchFailed: 'CT_COLLECTOR_STITCH_FAILED',
  /** A `/k8s/*` body held no Kubernetes object or audit event that could be understood. */
  K8sBadBody: 'CT_COLLECTOR_K8S_BAD_BODY',
  /** A `/k8s/*` request failed for a reason of ours. */
  K8sInternal: 'CT_COLLECTOR_K8S_INTERNAL',
  /** The control-plane state database cannot be opened. */
  ControlPlaneOpen: 'CT_COLLECTOR_CONTROLPLANE_OPEN',
  /** The control-plane state could not write to (or read from) its backend; retry later. */
  ControlPlaneWrite: 'CT_COLLECTOR_CONTROLPLANE_WRITE',
  /** The span store cannot be opened. */
  StoreOpen: 'CT_COLLECTOR_STORE_OPEN',
  /** The span store failed to write or delete spans; retry later. */
  StoreWrite: 'CT_COLLECTOR_STORE_WRITE',
  /** The span store is closed. */
  StoreClosed: 'CT_COLLECTOR_STORE_CLOSED',
  /** A file given to `crosstrace-collector import` cannot be read. */
  ImportRead: 'CT_COLLECTOR_IMPORT_READ',
  /** An agent knows no gateway yet (none resolved, none listed); retry later. */
  NoGateway: 'CT_COLLECTOR_NO_GATEWAY',
  /** The persistent export queue (`--queue-path`) cannot be opened. */
  QueueOpen: 'CT_COLLECTOR_QUEUE_OPEN',
} as const;

export type CollectorErrorCode = (typeof CollectorErrorCode)[keyof typeof CollectorErrorCode];

export interface CollectorErrorOptions {
  /** HTTP status the error maps to. */
  statusCode?: number;
  /** Seconds a client should wait before retrying (retryable errors only). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class CollectorError extends Error {
  readonly code: CollectorErrorCode;
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: CollectorErrorCode, message: string, options: CollectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CollectorError';
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True when the sender may retry the same request later. */
  get retryable(): boolean {
    return this.statusCode === 429 || this.statusCode === 503;
  }
}

/**
 * Creates a `CollectorError`.
 *
 * @example
 * throw createError(CollectorErrorCode.QueueFull, 'ingest queue is full', { statusCode: 503, retryAfterSeconds: 1 });
 */
export function createError(
  code: CollectorErrorCode,
  message: string,
  options?: CollectorErrorOptions,
): CollectorError {
  return new CollectorError(code, message, options);
}

export function isCollectorError(value: unknown): value is CollectorError {
  return value instanceof CollectorError;
}
