/** True when `s[from, from+len)` is lowercase hex and not all zeros. Used by the header parsers. */
export function isLowerHexNonZero(s: string, from: number, len: number): boolean {
  let nonZero = false;
  for (let i = from; i < from + len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true;
    } else if (c >= 97 && c <= 102) {
      nonZero = true;
    } else {
      return false;
    }
  }
  return nonZero;
}

/** Lowercases `id`, checks it is 1…`width` hex digits and not zero, and left-pads it with zeros. */
export function normalizeHexId(id: string | undefined, width: number): string | undefined {
  if (id === undefined) return undefined;
  const s = id.trim().toLowerCase();
  if (s.length === 0 || s.length > width) return undefined;
  const padded = s.length === width ? s : '0'.repeat(width - s.length) + s;
  return isLowerHexNonZero(padded, 0, width) ? padded : undefined;
}

/** The first value of a header that may be repeated (node gives arrays for some). */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value[0];
  return value;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
const LOWER_HEX_32 = /^[0-9a-f]{32}$/;
const LOWER_HEX_16 = /^[0-9a-f]{16}$/;
const checked = new WeakSet<object>();

/**
 * `isSpanContextValid` with a memo: a context object is checked once (regexes), later injections of
 * the same context (every outgoing call of a span) cost a WeakSet lookup.
 */
export function isValidSpanContext(sc: { traceId: string; spanId: string } | undefined): boolean {
  if (sc === undefined) return false;
  if (checked.has(sc)) return true;
  const ok =
    sc.traceId !== ZERO_TRACE &&
    sc.spanId !== ZERO_SPAN &&
    LOWER_HEX_32.test(sc.traceId) &&
    LOWER_HEX_16.test(sc.spanId);
  if (ok) checked.add(sc);
  return ok;
}
