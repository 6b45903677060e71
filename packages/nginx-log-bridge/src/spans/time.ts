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

/** `$time_local` (`21/Mar/2022:16:00:09 +0000`) → epoch ms, NaN when malformed. */
export function parseTimeLocal(text: string): number {
  const m = TIME_LOCAL.exec(text);
  if (m === null) return Number.NaN;
  const month = MONTHS[m[2]];
  if (month === undefined) return Number.NaN;
  const utc = Date.UTC(+m[3], month, +m[1], +m[4], +m[5], +m[6]);
  const offset = (m[7] === '-' ? -1 : 1) * (+m[8] * 60 + +m[9]) * 60_000;
  return utc - offset;
}

/** Distinct `$time_local` texts kept before the table starts over. */
const MAX_LOCAL_TIMES = 256;

/**
 * {@link parseTimeLocal}, remembered: lines of one second share their `$time_local`, so a small
 * table saves most of the parsing, and the text read last most of the lookups.
 */
export class TimeLocalCache {
  private readonly byText = new Map<string, number>();
  private lastText = '';
  private lastMs = Number.NaN;

  parse(text: string): number {
    // Consecutive lines mostly share their second: one comparison instead of a hash lookup.
    if (text === this.lastText) return this.lastMs;
    let ms = this.byText.get(text);
    if (ms === undefined) {
      ms = parseTimeLocal(text);
      if (this.byText.size >= MAX_LOCAL_TIMES) this.byText.clear();
      this.byText.set(text, ms);
    }
    this.lastText = text;
    this.lastMs = ms;
    return ms;
  }
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
