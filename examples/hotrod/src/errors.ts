/** Stable error codes of `@crosstrace/hotrod`. */
export const ErrorCode = {
  /** An option has the wrong type or value; the message names the option. */
  InvalidOption: 'CT_HOTROD_INVALID_OPTION',
  /** A program the demo starts (nginx, openssl) is missing. */
  MissingProgram: 'CT_HOTROD_MISSING_PROGRAM',
  /** A port the demo wants is taken; the message names the option that moves it. */
  PortInUse: 'CT_HOTROD_PORT_IN_USE',
  /** A child process (a service pod, nginx) did not start or stopped unexpectedly. */
  ChildFailed: 'CT_HOTROD_CHILD_FAILED',
  /** The collector refused data the demo sent it. */
  CollectorRefused: 'CT_HOTROD_COLLECTOR_REFUSED',
  /** A recording is missing or unreadable. */
  BadRecording: 'CT_HOTROD_BAD_RECORDING',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The error the demo's commands stop with; the CLI prints its message and exits 2. */
export class HotrodError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HotrodError';
    this.code = code;
  }
}
