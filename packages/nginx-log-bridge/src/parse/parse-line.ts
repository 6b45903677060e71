import { BridgeError, BridgeErrorCode } from '../errors.js';
import { createJsonParser, type JsonMapping } from './json-format.js';
import { compileLogFormat } from './log-format.js';
import { type FormatName, PRESET_FORMATS } from './presets.js';
import type { LineParser, ParseResult } from './types.js';

/** How to read lines: a preset, or an nginx `log_format` text (which wins over the preset). */
export interface ParserOptions {
  /** `combined` (default), `ingress-nginx` or `json`. */
  format?: FormatName;
  /** An nginx `log_format` text; when set, `format` is ignored. */
  logFormat?: string;
  /** For `json`: nginx variable name → dotted JSON path, merged over the default mapping. */
  jsonMapping?: JsonMapping;
}

function firstOf(parsers: LineParser[]): LineParser {
  if (parsers.length === 1) return parsers[0];
  return {
    variables: parsers[0].variables,
    parse(line: string): ParseResult {
      let first: ParseResult | undefined;
      for (const p of parsers) {
        const r = p.parse(line);
        if (r.ok) return r;
        first ??= r;
      }
      return first!;
    },
  };
}

/**
 * Builds the line parser for `options`. Throws a {@link BridgeError} for an unknown preset or a
 * bad format (start-up errors); the parser itself never throws.
 *
 * @example
 * const parser = createParser({ format: 'ingress-nginx' });
 */
export function createParser(options: ParserOptions = {}): LineParser {
  if (options.logFormat !== undefined) return compileLogFormat(options.logFormat);
  const format = options.format ?? 'combined';
  if (format === 'json') return createJsonParser(options.jsonMapping);
  const formats = PRESET_FORMATS[format];
  if (formats === undefined) {
    throw new BridgeError(BridgeErrorCode.BadFormat, `--format: unknown format "${String(format)}"`);
  }
  return firstOf(formats.map((f) => compileLogFormat(f)));
}

/**
 * The parsers {@link parseLine} compiled, by options. What they hold is never handed out as it is:
 * a compiled parser overwrites its positions on every line, so parseLine gives each result a copy
 * and callers in one process cannot see each other's lines.
 */
const compiled = new Map<string, LineParser | BridgeError>();
const MAX_COMPILED = 64;

/**
 * Parses one access-log line (without its newline). Never throws: a bad line, and a bad format,
 * give `{ ok: false, reason }`. Parsers are compiled once per distinct options and reused; each
 * result is the caller's own (for many lines of one format, {@link createParser} is faster).
 *
 * @param line - one log line
 * @param options - the format (default `combined`)
 * @example
 * const r = parseLine(line, { format: 'ingress-nginx' });
 * if (r.ok) console.log(r.record.upstream_addr);
 */
export function parseLine(line: string, options: ParserOptions = {}): ParseResult {
  const key = `${options.format ?? ''}\u0000${options.logFormat ?? ''}\u0000${options.jsonMapping ? JSON.stringify(options.jsonMapping) : ''}`;
  let parser = compiled.get(key);
  if (parser === undefined) {
    try {
      parser = createParser(options);
    } catch (err) {
      parser = err instanceof BridgeError ? err : new BridgeError(BridgeErrorCode.BadFormat, String(err));
    }
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, parser);
  }
  if (parser instanceof BridgeError) return { ok: false, reason: 'format-mismatch' };
  const result = parser.parse(line);
  if (!result.ok || result.positions === undefined) return result;
  const { variables, offsets } = result.positions;
  return { ok: true, record: result.record, positions: { variables, offsets: offsets.slice() } };
}
