// Parsers for the legacy API's query parameters, with Jaeger's error messages. They never throw:
// each returns a value or an error message.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * A Go `time.ParseDuration` string (`1.2ms`, `100us`, `1h2m3s`, `0`) in nanoseconds. With
 * `days`, also `d` and `w` units (the UI's lookback values such as `2d`).
 */
export function parseGoDuration(input: string, opts: { days?: boolean } = {}): Parsed<number> {
  const s = input.trim();
  const bad = { ok: false as const, error: `time: invalid duration "${input}"` };
  if (s === '') return bad;
  let i = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (s.slice(i) === '0') return { ok: true, value: 0 };
  let total = 0;
  let parts = 0;
  while (i < s.length) {
    const m = /^(\d*\.?\d*)([a-zµμ]+)/.exec(s.slice(i));
    if (m === null || m[1] === '' || m[1] === '.') return bad;
    const unit = m[2];
    const factor = UNIT_NS[unit] ?? (opts.days ? { d: 86400e9, w: 7 * 86400e9 }[unit] : undefined);
    if (factor === undefined)
      return { ok: false, error: `time: unknown unit "${unit}" in duration "${input}"` };
    total += Number(m[1]) * factor;
    i += m[0].length;
    parts++;
  }
  if (parts === 0 || !Number.isFinite(total)) return bad;
  return { ok: true, value: sign * total };
}

/** A decimal integer parameter (Jaeger: strconv.ParseInt). */
export function parseIntParam(name: string, input: string): Parsed<number> {
  if (!/^[-+]?\d+$/.test(input.trim())) {
    return {
      ok: false,
      error: `unable to parse param '${name}': strconv.ParseInt: parsing "${input}": invalid syntax`,
    };
  }
  const n = Number(input);
  if (!Number.isSafeInteger(n)) {
    return {
      ok: false,
      error: `unable to parse param '${name}': strconv.ParseInt: parsing "${input}": value out of range`,
    };
  }
  return { ok: true, value: n };
}

/** logfmt `key=value key2="quoted value"` (the syntax of the Jaeger UI's tags box). */
export function parseLogfmt(input: string): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  let i = 0;
  const s = input;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let key = '';
    while (i < s.length && s[i] !== '=' && !/\s/.test(s[i])) key += s[i++];
    if (key === '' || s[i] !== '=')
      return { ok: false, error: `malformed tag near "${s.slice(i, i + 20) || key}"` };
    i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i++];
        if (c === '\\' && i < s.length) value += s[i++];
        else if (c === '"') {
          closed = true;
          break;
        } else value += c;
      }
      if (!closed) return { ok: false, error: `unterminated quoted value for tag "${key}"` };
    } else {
      while (i < s.length && !/\s/.test(s[i])) value += s[i++];
    }
    out[key] = value;
  }
  return { ok: true, value: out };
}

/**
 * Tags from the `tags` parameter(s) (a JSON object as the Jaeger UI and Grafana send it, or a
 * logfmt list) and the older `tag=key:value` parameter(s).
 */
export function parseTags(tags: readonly string[], tag: readonly string[]): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const trimmed = t.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(trimmed);
      } catch (e) {
        return {
          ok: false,
          error: `malformed 'tags' parameter, expecting JSON object: ${(e as Error).message}`,
        };
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        return { ok: false, error: "malformed 'tags' parameter, expecting JSON object" };
      }
      for (const [k, v] of Object.entries(obj)) {
        if (typeof v === 'object' && v !== null) {
          return { ok: false, error: `malformed 'tags' parameter, value of "${k}" must be a string` };
        }
        out[k] = String(v);
      }
    } else {
      const r = parseLogfmt(trimmed);
      if (!r.ok) return { ok: false, error: `malformed 'tags' parameter: ${r.error}` };
      Object.assign(out, r.value);
    }
  }
  for (const t of tag) {
    const at = t.indexOf(':');
    if (at <= 0)
      return { ok: false, error: `malformed 'tag' parameter, expecting key:value, received: ${t}` };
    out[t.slice(0, at)] = t.slice(at + 1);
  }
  return { ok: true, value: out };
}

/** A trace id of 1–32 hex digits, normalised to 32 lower-case digits. */
export function parseTraceId(input: string): Parsed<string> {
  if (!/^[0-9a-fA-F]{1,32}$/.test(input)) {
    return {
      ok: false,
      error: `cannot parse traceID param: TraceID cannot be parsed: ${JSON.stringify(input)}`,
    };
  }
  return { ok: true, value: input.toLowerCase().padStart(32, '0') };
}

/** A query parameter that may be repeated, as a list. */
export function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
