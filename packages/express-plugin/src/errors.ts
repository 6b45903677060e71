/** Stable error codes of `@crosstrace/express-plugin`. */
export const ErrorCode = {
  /** An option has the wrong type or value; the message names the option. */
  InvalidOption: 'CT_EXPRESS_INVALID_OPTION',
  /** The `tracer` option is neither a `createTracer()` result nor an OpenTelemetry TracerProvider. */
  InvalidTracer: 'CT_EXPRESS_INVALID_TRACER',
  /** A `trustedProxies` entry is not an IP address or CIDR range. */
  InvalidProxy: 'CT_EXPRESS_INVALID_PROXY',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The only error this package throws, and only at construction (bad options); never while a
 * request is handled.
 */
export class CrosstraceExpressError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrosstraceExpressError';
    this.code = code;
  }
}
