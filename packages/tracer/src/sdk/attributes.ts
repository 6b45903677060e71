import { LAYER_ATTRIBUTE } from '@crosstrace/contract';
import type { Attributes, AttributeValue } from '@opentelemetry/api';

function isPrimitive(value: unknown): value is string | number | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * An OpenTracing tag / log value as an OTel attribute value: primitives and arrays of primitives
 * as they are; anything else (objects, bigint, Date, …) as a string (JSON when possible, so cyclic
 * or exotic values can never break an export); `undefined` for nothing/functions/symbols.
 */
export function toAttributeValue(value: unknown): AttributeValue | undefined {
  if (isPrimitive(value)) return value;
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  if (Array.isArray(value) && value.every((v) => v === null || v === undefined || isPrimitive(v))) {
    return value as AttributeValue;
  }
  if (typeof value === 'bigint' || value instanceof Date) return String(value);
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

/**
 * `s` cut to at most `limit` UTF-16 code units, never in the middle of a surrogate pair (the
 * pair's high half is dropped with the low one).
 */
export function truncateString(s: string, limit: number): string {
  if (s.length <= limit) return s;
  let end = limit;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/**
 * OpenTelemetry's attribute value length limit: a string is truncated, each string of an array is
 * (the array is copied, never changed in place); other values are left alone.
 */
export function limitValueLength(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length > limit ? truncateString(value, limit) : value;
  if (!Array.isArray(value)) return value;
  let copy: (string | number | boolean | null | undefined)[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v === 'string' && v.length > limit) {
      copy ??= value.slice();
      copy[i] = truncateString(v, limit);
    }
  }
  return (copy ?? value) as AttributeValue;
}

/**
 * Copies the attributes of `source` (converted with {@link toAttributeValue}; unusable ones
 * skipped) into `target`, at most `countLimit` of them, string values cut to `lengthLimit`.
 * Returns how many were dropped for the count limit.
 */
export function copyLimitedAttributes(
  source: Readonly<Record<string, unknown>>,
  target: Attributes,
  countLimit: number,
  lengthLimit: number,
): number {
  let count = 0;
  let dropped = 0;
  for (const key of Object.keys(source)) {
    const value = toAttributeValue(source[key]);
    if (value === undefined) continue;
    if (count >= countLimit) {
      dropped++;
      continue;
    }
    target[key] = lengthLimit === Number.POSITIVE_INFINITY ? value : limitValueLength(value, lengthLimit);
    count++;
  }
  return dropped;
}

/** True for a value a span stores as it is: a primitive, or an array of primitives and nulls, strings within `lengthLimit`. */
function isStoredAsIs(value: unknown, lengthLimit: number): boolean {
  if (typeof value === 'string') return value.length <= lengthLimit;
  if (typeof value === 'number' || typeof value === 'boolean') return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') continue;
    if (typeof v !== 'string' || v.length > lengthLimit) return false;
  }
  return true;
}

/**
 * How many attributes `source` holds when a span can keep the object itself as its attribute bag
 * and end up with exactly what copying it would give; otherwise -1. That is when its prototype is
 * `Object.prototype`, it has the layer attribute, at most `countLimit` attributes, none of the
 * OpenTracing tags that set the status or kind (`error`, `span.kind`), and every value is stored as
 * it is (see {@link isStoredAsIs}).
 */
export function adoptableCount(source: Attributes, countLimit: number, lengthLimit: number): number {
  if (Object.getPrototypeOf(source) !== Object.prototype || source[LAYER_ATTRIBUTE] === undefined) return -1;
  let count = 0;
  // for-in over a plain object: its own enumerable keys, read through the enum cache
  for (const key in source) {
    if (key === 'error' || key === 'span.kind' || !isStoredAsIs(source[key], lengthLimit)) return -1;
    count++;
  }
  return count <= countLimit ? count : -1;
}
