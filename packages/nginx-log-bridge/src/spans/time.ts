import type { HrTime } from '@opentelemetry/api';

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const TIME_LOCAL = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
// Lines of one second share their $time_local: a small cache saves most of the parsing.
const localCache = new Map<string, number>();

/** `$time_local` (`21/Mar/2022:16:00:09 +0000`) → epoch ms, NaN when malformed. */
let lastLocal = '';
let lastLocalMs = Number.NaN;

export function parseTimeLocal(text: string): number {
  // Consecutive lines mostly share their second: one comparison instead of a hash lookup.
  if (text === lastLocal) return lastLocalMs;
  const ms = parseTimeLocalCached(text);
  lastLocal = text;
  lastLocalMs = ms;
  return ms;
}

function parseTimeLocalCached(text: string): number {
  const cached = localCache.get(text);
  if (cached !== undefined) return cached;
  const m = TIME_LOCAL.exec(text);
  let ms = Number.NaN;
  if (m !== null) {
    const month = MONTHS[m[2]];
    if (month !== undefined) {
      const utc = Date.UTC(+m[3], month, +m[1], +m[4], +m[5], +m[6]);
      const offset = (m[7] === '-' ? -1 : 1) * (+m[8] * 60 + +m[9]) * 60_000;
      ms = utc - offset;
    }
  }
  if (localCache.size >= 256) localCache.clear();
  localCache.set(text, ms);
  return ms;
}

/** `$time_iso8601` → epoch ms, NaN when malformed. */
export function parseIso8601(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return Number.NaN;
  return Date.parse(text);
}

// 10^k, exact as doubles for k <= 22.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `Number(text)` for the plain decimals nginx logs (`612`, `0.004`, `1647878409.123`), without the
 * native string-to-number call; anything else (signs, exponents, spaces, > 15 digits) goes to
 * `Number`. Same result: with at most 15 digits the digits are an exact integer below 2^53 and 10^k
 * an exact double, so one correctly rounded division gives the correctly rounded decimal, which is
 * what `Number` returns (Clinger's fast path).
 */
export function decimalNumber(text: string): number {
  const n = text.length;
  if (n === 0 || n > 16) return Number(text);
  let value = 0;
  let digits = 0;
  let point = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0 && i > 0 && i < n - 1) point = i;
    else return Number(text);
  }
  if (digits > 15) return Number(text);
  return point < 0 ? value : value / POW10[n - 1 - point];
}

/** A logged number of seconds (`0.013`, `1647878409.123`, `0.003s`) → number, NaN for `-`/garbage. */
export function parseSeconds(text: string | undefined): number {
  if (text === undefined || text === '-' || text === '') return Number.NaN;
  // The usual `0.005`: digits at both ends, so nothing to trim or strip.
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (first >= 48 && first <= 57 && last >= 48 && last <= 57) return decimalNumber(text);
  const t = text.trim();
  const n = Number(t.endsWith('s') ? t.slice(0, -1) : t);
  return t === '' || t === 's' ? Number.NaN : n;
}

/** Epoch milliseconds (fractional allowed) → OTel HrTime, exact to the microsecond. */
export function msToHrTime(ms: number): HrTime {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  return [seconds, (micros - seconds * 1_000_000) * 1000];
}
