/**
 * One parsed access-log line: nginx variable name (without `$`) → the logged text, exactly as
 * logged apart from nginx's `\xHH` escapes, which are decoded. `-` stays `-` (nginx's "none").
 */
export type LogRecord = Record<string, string>;

/**
 * Where records made by a compiled `log_format` find their variable names (on their prototype, so
 * never enumerated): span building then skips a `for…in` over every record.
 */
export const kRecordVariables = Symbol('crosstrace.recordVariables');

/** Why a line did not become spans. Counted per reason; a few samples are logged. */
export type BadLineReason =
  | 'empty'
  | 'too-long'
  | 'format-mismatch'
  | 'invalid-json'
  | 'invalid-wrapper'
  | 'no-timestamp';

/**
 * Where a parsed line's values sit in the line: the character offset of each logged variable's
 * value, by its index in `variables`. A compiled `log_format` gives it for lines whose values are
 * the logged text as it is (no `\xHH` escape decoded), so an encoder can copy a value from the
 * line's bytes. One object per parser, overwritten by its next parse.
 */
export interface ValuePositions {
  /** The format's variables in order (a variable logged twice appears twice). */
  readonly variables: readonly string[];
  /** `offsets[i]`: where the value of `variables[i]` starts in the line. */
  readonly offsets: Int32Array;
}

/** The result of parsing one line; parsers never throw. */
export type ParseResult =
  | { readonly ok: true; readonly record: LogRecord; readonly positions?: ValuePositions }
  | { readonly ok: false; readonly reason: BadLineReason };

/** A compiled parser for one log format. */
export interface LineParser {
  /** Parses one line (without its newline); never throws. */
  parse(line: string): ParseResult;
  /** The nginx variables the format logs, in order (for JSON: the mapped names). */
  readonly variables: readonly string[];
}

/** Lines longer than this are counted as `too-long` instead of being matched. */
export const MAX_LINE_LENGTH = 64 * 1024;
