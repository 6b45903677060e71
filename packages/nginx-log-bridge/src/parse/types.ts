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

/** The result of parsing one line; parsers never throw. */
export type ParseResult =
  | { readonly ok: true; readonly record: LogRecord }
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
