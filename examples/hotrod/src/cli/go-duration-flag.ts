import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration flag value (`300ms`, `1.5s`, `1m30s`, `0`) in milliseconds; a plain number is ms. */
export function parseGoDurationMs(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== v.length)
    throw new InvalidArgumentError(`not a duration: "${value}" (e.g. 300ms, 1.5s)`);
  return total;
}
