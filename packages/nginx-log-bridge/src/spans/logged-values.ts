import { decimalNumber } from './time.js';

/** A logged value, or undefined for nginx's "none" (`-`) and an empty value. */
export function present(value: string | undefined): string | undefined {
  return value === undefined || value === '-' || value === '' ? undefined : value;
}

/** A logged integer (`612`), or undefined for none and for anything that is not an integer. */
export function loggedInteger(value: string | undefined): number | undefined {
  const v = present(value);
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Reads logged status codes ({@link loggedInteger}), remembering the text read last and its value:
 * most lines share theirs (200), and comparing a short string costs less than reading its digits.
 */
export class StatusReader {
  private lastText = '200';
  private lastStatus = 200;

  read(value: string | undefined): number | undefined {
    if (value === this.lastText) return this.lastStatus;
    const n = loggedInteger(value);
    if (n !== undefined && value !== undefined) {
      this.lastText = value;
      this.lastStatus = n;
    }
    return n;
  }
}
