/** Stable error codes of the bridge. Configuration errors are thrown at start-up only. */
export const BridgeErrorCode = {
  /** A `--log-format` / `log_format` text that cannot be compiled. */
  BadLogFormat: 'CT_BRIDGE_BAD_LOG_FORMAT',
  /** An unknown `--format` preset or container wrapper. */
  BadFormat: 'CT_BRIDGE_BAD_FORMAT',
  /** A JSON field mapping that is not an object of strings. */
  BadJsonMapping: 'CT_BRIDGE_BAD_JSON_MAPPING',
  /** An option with a value that cannot work (names the option). */
  BadOption: 'CT_BRIDGE_BAD_OPTION',
  /** The checkpoint file exists but cannot be read or parsed. */
  BadCheckpoint: 'CT_BRIDGE_BAD_CHECKPOINT',
  /** Writing the checkpoint file failed. */
  CheckpointWrite: 'CT_BRIDGE_CHECKPOINT_WRITE',
  /** The collector did not acknowledge a batch (retried with back-off). */
  ExportFailed: 'CT_BRIDGE_EXPORT_FAILED',
  /** A log file could not be read. */
  ReadFailed: 'CT_BRIDGE_READ_FAILED',
} as const;

export type BridgeErrorCode = (typeof BridgeErrorCode)[keyof typeof BridgeErrorCode];

/**
 * The bridge's error: a stable `code` plus the wrapped `cause`.
 *
 * @example
 * throw new BridgeError(BridgeErrorCode.BadOption, '--batch-size must be a positive integer');
 */
export class BridgeError extends Error {
  readonly code: BridgeErrorCode;

  constructor(code: BridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeError';
    this.code = code;
  }
}
