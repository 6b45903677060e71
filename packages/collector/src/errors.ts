/**
 * Errors with stable codes, in the manner of Fastify's `lib/errors.js`. A permanent error is the
 * sender's to fix (answered 4xx, never retried); a retryable one is ours (429/503 with
 * `Retry-After`), as the OpenTelemetry Collector's `consumererror` distinguishes.
 */
export interface CollectorErrorOptions {
  /** HTTP status the error maps to. */
  statusCode?: number;
  /** Seconds a client should wait before retrying (retryable errors only). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class CollectorError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, options: CollectorErrorOptions = {}) {
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

/** Creates a `CollectorError`; `code` must start with `CT_COLLECTOR_`. */
export function createError(
  code: `CT_COLLECTOR_${string}`,
  message: string,
  options?: CollectorErrorOptions,
): CollectorError {
  return new CollectorError(code, message, options);
}

export function isCollectorError(value: unknown): value is CollectorError {
  return value instanceof CollectorError;
}
