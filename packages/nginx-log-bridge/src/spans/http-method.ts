// The HTTP methods OpenTelemetry's semantic conventions name (others are `_OTHER`), each mapped to
// itself: spans then share one string object per method, which later comparisons check by identity.
const KNOWN_METHODS = new Map(
  ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map((m) => [m, m]),
);

/** The longest known method's length. */
const MAX_METHOD_LENGTH = 7;

// The known methods by length and first character (`length << 8 | code`): one candidate each.
const METHOD_BY_SHAPE: (string | undefined)[] = new Array((MAX_METHOD_LENGTH + 1) << 8).fill(undefined);
for (const m of KNOWN_METHODS.keys()) METHOD_BY_SHAPE[(m.length << 8) | m.charCodeAt(0)] = m;

/** The constant of the known method whose characters are the `n` bytes from `at`, else undefined. */
export function knownMethodAt(bytes: Uint8Array, at: number, n: number): string | undefined {
  if (n > MAX_METHOD_LENGTH) return undefined;
  const m = METHOD_BY_SHAPE[(n << 8) | bytes[at]];
  if (m === undefined) return undefined;
  for (let i = 1; i < n; i++) if (bytes[at + i] !== m.charCodeAt(i)) return undefined;
  return m;
}

/** Finds the constant of a known method by its text, remembering the one found last (lines mostly share theirs). */
export class KnownMethods {
  private last = 'GET';

  /** The constant string of the known HTTP method equal to `method`, else undefined. */
  canonical(method: string): string | undefined {
    if (method === this.last) return this.last;
    const known = KNOWN_METHODS.get(method);
    if (known !== undefined) this.last = known;
    return known;
  }
}
