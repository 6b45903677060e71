// Moves a recording in time by a whole number of seconds, keeping every timestamp's own format
// (Kubernetes' second-precision fields stay whole seconds, MicroTime keeps six digits), so a
// replay looks as if it had just happened.
import { parseRfc3339 } from './cluster/k8s-time.js';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3339 UTC time moved by `shiftNs`, with as many fraction digits as it had (trailing zeros trimmed when it had them trimmed). */
export function shiftRfc3339(text: string, shiftNs: bigint): string {
  const m = RFC3339.exec(text);
  const t = parseRfc3339(text);
  if (m === null || t === undefined) return text;
  const moved = t + shiftNs;
  const base = new Date(Number(moved / 1_000_000n)).toISOString().slice(0, 19);
  if (m[2] === undefined) return `${base}Z`;
  const digits = m[2].length - 1;
  const frac = String(((moved % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n)
    .padStart(9, '0')
    .slice(0, digits);
  return `${base}.${frac}Z`;
}

/** Every RFC 3339 UTC string in a JSON value (Kubernetes objects, audit events), moved. */
export function shiftJsonTimes<T>(value: T, shiftNs: bigint): T {
  if (typeof value === 'string') return (RFC3339.test(value) ? shiftRfc3339(value, shiftNs) : value) as T;
  if (Array.isArray(value)) return value.map((v) => shiftJsonTimes(v, shiftNs)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = shiftJsonTimes(v, shiftNs);
    return out as T;
  }
  return value;
}

function shiftNanoField(v: unknown, shiftNs: bigint): unknown {
  if (typeof v === 'string' && /^\d+$/.test(v)) return String(BigInt(v) + shiftNs);
  if (typeof v === 'number') return String(BigInt(Math.round(v)) + shiftNs);
  return v;
}

/** An OTLP/JSON `ExportTraceServiceRequest` with span and event times moved. */
export function shiftOtlpJson(request: string, shiftNs: bigint): string {
  const body = JSON.parse(request) as {
    resourceSpans?: { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
  };
  for (const rs of body.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const span of ss.spans ?? []) {
        span.startTimeUnixNano = shiftNanoField(span.startTimeUnixNano, shiftNs);
        span.endTimeUnixNano = shiftNanoField(span.endTimeUnixNano, shiftNs);
        for (const ev of (span.events as Record<string, unknown>[] | undefined) ?? [])
          ev.timeUnixNano = shiftNanoField(ev.timeUnixNano, shiftNs);
      }
  return JSON.stringify(body);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * An access-log line of the demo's format with `[$time_local]` and `$msec` (the number after
 * the 32-hex `$req_id`) moved by whole seconds; other lines unchanged.
 */
export function shiftAccessLogLine(line: string, shiftSeconds: number): string {
  let out = line.replace(
    /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/,
    (whole, d, mon, y, h, mi, s, sign, oh, om) => {
      const month = MONTHS.indexOf(mon);
      if (month < 0) return whole;
      const offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
      const utc =
        Date.UTC(Number(y), month, Number(d), Number(h), Number(mi), Number(s)) - offsetMin * 60_000;
      const local = new Date(utc + shiftSeconds * 1000 + offsetMin * 60_000);
      return `[${pad(local.getUTCDate())}/${MONTHS[local.getUTCMonth()]}/${local.getUTCFullYear()}:${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${oh}${om}]`;
    },
  );
  out = out.replace(
    / ([0-9a-f]{32}) (\d+)\.(\d{3}) /,
    (_w, id, s, ms) => ` ${id} ${Number(s) + shiftSeconds}.${ms} `,
  );
  return out;
}
