import { BridgeError, BridgeErrorCode } from '../errors.js';
import { MAX_LINE_LENGTH } from './types.js';

/** How lines are wrapped: Kubernetes CRI, Docker json-file, plain, or detected per line. */
export type ContainerFormat = 'auto' | 'cri' | 'docker' | 'none';

/** What one physical line turned out to be. */
export type UnwrapResult =
  /** `at`: where `text` starts in the physical line, when it is one piece of it (not joined or decoded). */
  | { readonly kind: 'line'; readonly text: string; readonly at?: number }
  /** A partial (CRI `P` / Docker without newline) piece; the rest follows. */
  | { readonly kind: 'partial' }
  /** A container's stderr (nginx's error log), not an access-log line. */
  | { readonly kind: 'stderr' }
  | { readonly kind: 'bad' };

/** A stateful unwrapper (partial lines are joined per stream). */
export interface Unwrapper {
  unwrap(line: string): UnwrapResult;
  /** True while a partial line waits for its end. */
  readonly pending: boolean;
}

const CRI = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([^ ]+)(?: (.*))?$/s;
const BAD: UnwrapResult = { kind: 'bad' };
const PARTIAL: UnwrapResult = { kind: 'partial' };
const STDERR: UnwrapResult = { kind: 'stderr' };

/**
 * Creates the unwrapper for container log files (`/var/log/containers/*.log`).
 *
 * @param format - `auto` (default) detects CRI and Docker per line and passes other lines through
 * @example
 * const u = createUnwrapper('cri');
 * u.unwrap('2024-01-01T00:00:00.123456789Z stdout F 10.0.0.1 - - [...]');
 */
export function createUnwrapper(format: ContainerFormat = 'auto'): Unwrapper {
  if (!['auto', 'cri', 'docker', 'none'].includes(format)) {
    throw new BridgeError(BridgeErrorCode.BadFormat, `--container: unknown wrapper "${String(format)}"`);
  }
  const partial: Record<string, string | undefined> = { stdout: undefined, stderr: undefined };

  function piece(stream: string, text: string, last: boolean): UnwrapResult {
    const before = partial[stream];
    let joined = before === undefined ? text : before + text;
    if (joined.length > MAX_LINE_LENGTH + 1) joined = joined.slice(0, MAX_LINE_LENGTH + 1);
    if (!last) {
      partial[stream] = joined;
      return PARTIAL;
    }
    partial[stream] = undefined;
    if (stream === 'stderr') return STDERR;
    return { kind: 'line', text: joined };
  }

  function cri(line: string): UnwrapResult {
    const m = CRI.exec(line);
    if (m === null) return BAD;
    const tags = m[3].split(':');
    const text = m[4] ?? '';
    const last = !tags.includes('P');
    // A whole line on its own: its text is the end of the physical line.
    if (last && m[2] === 'stdout' && partial.stdout === undefined)
      return { kind: 'line', text, at: line.length - text.length };
    return piece(m[2], text, last);
  }

  function docker(line: string): UnwrapResult {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return BAD;
    }
    if (obj === null || typeof obj !== 'object') return BAD;
    const { log, stream } = obj as { log?: unknown; stream?: unknown };
    if (typeof log !== 'string') return BAD;
    const s = stream === 'stderr' ? 'stderr' : 'stdout';
    const last = log.endsWith('\n');
    return piece(s, last ? log.slice(0, log.endsWith('\r\n') ? -2 : -1) : log, last);
  }

  return {
    get pending() {
      return partial.stdout !== undefined || partial.stderr !== undefined;
    },
    unwrap(line: string): UnwrapResult {
      switch (format) {
        case 'none':
          return { kind: 'line', text: line, at: 0 };
        case 'cri':
          return cri(line);
        case 'docker':
          return docker(line);
        default:
          if (line.startsWith('{"log":')) return docker(line);
          if (line.length > 20 && line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84) {
            const r = cri(line);
            if (r !== BAD) return r;
          }
          return { kind: 'line', text: line, at: 0 };
      }
    },
  };
}
