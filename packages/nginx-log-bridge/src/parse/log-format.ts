import { BridgeError, BridgeErrorCode } from '../errors.js';
import {
  type BadLineReason,
  kRecordVariables,
  type LineParser,
  type LogRecord,
  MAX_LINE_LENGTH,
  type ParseResult,
  type ValuePositions,
} from './types.js';

type Token = { kind: 'literal'; text: string } | { kind: 'variable'; name: string };

const NUMBER = String.raw`\d+|-`;
const DECIMAL = String.raw`\d+(?:\.\d+)?|-`;
// `$upstream_*` lists: ", " between attempts, " : " between upstream groups after a redirect.
// An item never ends with a comma, so "a, b" cannot be read as the item "a," followed by another
// field "b" (which a later free-form variable would otherwise make a valid match).
const ITEM = '[^ ]*[^ ,]';
const LIST = `${ITEM}(?:(?:, | : )${ITEM})*`;
const ADDRESS_LIST = `${ITEM}(?:, ${ITEM})*`;

const BY_NAME: Record<string, string> = {
  status: NUMBER,
  body_bytes_sent: NUMBER,
  bytes_sent: NUMBER,
  request_length: NUMBER,
  connection: NUMBER,
  connection_requests: NUMBER,
  request_time: DECIMAL,
  msec: DECIMAL,
  remote_addr: ADDRESS_LIST,
  the_real_ip: ADDRESS_LIST,
  realip_remote_addr: ADDRESS_LIST,
  proxy_add_x_forwarded_for: ADDRESS_LIST,
  http_x_forwarded_for: ADDRESS_LIST,
  time_local: String.raw`\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}`,
  time_iso8601: String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})`,
  req_id: '[^ ]+',
  request_id: '[^ ]+',
};

function variablePattern(name: string, before: string, after: string | undefined): string {
  if (before.endsWith('"') && after?.startsWith('"')) return '[^"]*';
  if (before.endsWith('[') && after?.startsWith(']')) return String.raw`[^\]]*`;
  const byName = BY_NAME[name];
  if (byName !== undefined) return byName;
  if (name.startsWith('upstream_')) return LIST;
  if (after === undefined) return '.*';
  return '.*?';
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Accepts the format as written in nginx.conf: bare text, or one or more quoted strings
 * (`'...' '...'`), optionally with the `log_format name [escape=...]` prefix and a trailing `;`.
 */
function unquoteConfigText(input: string): string {
  let text = input.trim();
  const prefix = /^log_format\s+\S+\s+(?:escape=\S+\s+)?/.exec(text);
  if (prefix) text = text.slice(prefix[0].length);
  if (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
  if (!text.startsWith("'") && !text.startsWith('"')) return text;
  // Text that is not a sequence of quoted strings (`"$request" $status`) is the format itself.
  return joinQuoted(text) ?? text;
}

function joinQuoted(text: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const quote = text[i];
    if (quote !== "'" && quote !== '"') {
      if (/\s/.test(quote)) {
        i++;
        continue;
      }
      return undefined;
    }
    i++;
    let closed = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\' && i + 1 < text.length) {
        out += text[i + 1];
        i += 2;
        continue;
      }
      if (c === quote) {
        closed = true;
        i++;
        break;
      }
      out += c;
      i++;
    }
    if (!closed) return undefined;
  }
  return out;
}

function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  const re = /\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    if (m.index > last) tokens.push({ kind: 'literal', text: format.slice(last, m.index) });
    tokens.push({ kind: 'variable', name: (m[1] ?? m[2]).toLowerCase() });
    last = m.index + m[0].length;
  }
  if (last < format.length) tokens.push({ kind: 'literal', text: format.slice(last) });
  return tokens;
}

const ESCAPED = /\\x([0-9A-Fa-f]{2})/g;

/** Decodes nginx's default `\xHH` escaping (bytes, UTF-8). */
export function unescapeNginx(value: string): string {
  if (!value.includes('\\x')) return value;
  const latin1 = value.replace(ESCAPED, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

const asIs = (value: string): string => value;

type RecordFactory = (m: RegExpExecArray, decode: (value: string) => string) => LogRecord;

/**
 * A function that builds the record of one match with one generated constructor, so every record of
 * a format has the same shape from the start (a loop of keyed stores is several times slower per
 * line); the prototype carries the variable names ({@link kRecordVariables}).
 * Names come from the tokenizer (`[a-z0-9_]`), and are quoted with JSON.stringify all the same; a
 * variable logged twice keeps its last value, like the loop it replaces.
 */
function recordFactory(names: readonly string[]): RecordFactory {
  const fields = names.map((name, i) => `this[${JSON.stringify(name)}] = decode(m[${i + 1}]);`);
  const Record = new Function('m', 'decode', fields.join('\n')) as unknown as new (
    m: RegExpExecArray,
    decode: (value: string) => string,
  ) => LogRecord;
  Object.defineProperty(Record.prototype, kRecordVariables, { value: Object.freeze([...new Set(names)]) });
  return (m, decode) => new Record(m, decode);
}

/**
 * Compiles an nginx `log_format` text into a line parser. Pass the same text as in nginx.conf
 * (quoted pieces are joined, as nginx does). Every variable becomes a record field named without
 * `$`; variables the bridge does not know are kept and end up as span attributes.
 *
 * Throws {@link BridgeError} `CT_BRIDGE_BAD_LOG_FORMAT` for a format that cannot be compiled (a
 * start-up error); the returned parser never throws.
 *
 * @param format - the `log_format` text
 * @example
 * const parser = compileLogFormat('$remote_addr [$time_local] "$request" $status $msec');
 * const result = parser.parse('10.0.0.1 [21/Mar/2022:16:00:09 +0000] "GET / HTTP/1.1" 200 1647878409.123');
 * // result.ok && result.record.status === '200'
 */
export function compileLogFormat(format: string): LineParser {
  if (typeof format !== 'string' || format.trim() === '') {
    throw new BridgeError(BridgeErrorCode.BadLogFormat, 'log format: empty format text');
  }
  const tokens = tokenize(unquoteConfigText(format));
  const names: string[] = [];
  // The length of the literal text before each variable (after the previous one).
  const gaps: number[] = [];
  let gap = 0;
  let source = '^';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'literal') {
      source += escapeRegex(t.text);
      gap += t.text.length;
      continue;
    }
    gaps.push(gap);
    gap = 0;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const before = prev?.kind === 'literal' ? prev.text : '';
    const after = next === undefined ? undefined : next.kind === 'literal' ? next.text : '';
    source += `(${variablePattern(t.name, before, after)})`;
    names.push(t.name);
  }
  source += '$';
  if (names.length === 0) {
    throw new BridgeError(BridgeErrorCode.BadLogFormat, 'log format: no $variables in the format text');
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch (cause) {
    throw new BridgeError(BridgeErrorCode.BadLogFormat, 'log format: cannot compile', { cause });
  }
  const makeRecord = recordFactory(names);
  const mismatch: ParseResult = { ok: false, reason: 'format-mismatch' };
  const positions: ValuePositions = { variables: names, offsets: new Int32Array(names.length) };
  const gapBefore = Int32Array.from(gaps);
  return {
    variables: names,
    parse(line: string): ParseResult {
      const early = precheck(line);
      if (early !== undefined) return { ok: false, reason: early };
      const m = regex.exec(line);
      if (m === null) return mismatch;
      // Most lines have no `\xHH` escape at all: one search per line instead of one per field.
      if (line.includes('\\x')) return { ok: true, record: makeRecord(m, unescapeNginx) };
      // The captures follow each other with the format's literal text between them.
      const offsets = positions.offsets;
      let at = 0;
      for (let i = 0; i < offsets.length; i++) {
        at += gapBefore[i];
        offsets[i] = at;
        at += m[i + 1].length;
      }
      return { ok: true, record: makeRecord(m, asIs), positions };
    },
  };
}

/** The checks every parser makes before matching. */
export function precheck(line: string): BadLineReason | undefined {
  if (typeof line !== 'string' || line.length === 0) return 'empty';
  // A line starting with a printable ASCII character is not blank: no trim (a call) for it.
  const first = line.charCodeAt(0);
  if (!(first > 32 && first < 127) && line.trim() === '') return 'empty';
  if (line.length > MAX_LINE_LENGTH) return 'too-long';
  return undefined;
}
