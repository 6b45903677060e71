import type { AnyValue, KeyValue } from './span.js';

/** A plain JavaScript view of an AnyValue (int64 beyond 2^53 stays a string). */
export type PlainValue = string | number | boolean | PlainValue[] | { [key: string]: PlainValue } | undefined;

export function toPlain(v: AnyValue | undefined): PlainValue {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : v.intValue;
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(toPlain);
  if (v.kvlistValue !== undefined) {
    const o: { [key: string]: PlainValue } = {};
    for (const kv of v.kvlistValue.values) o[kv.key] = toPlain(kv.value);
    return o;
  }
  return undefined;
}

/** The first attribute named `key`, as a plain value. */
export function getAttribute(attrs: readonly KeyValue[], key: string): PlainValue {
  for (const kv of attrs) if (kv.key === key) return toPlain(kv.value);
  return undefined;
}

/** The attribute as a string ('' when absent; numbers and booleans stringified). */
export function getStringAttribute(attrs: readonly KeyValue[], key: string): string {
  const v = getAttribute(attrs, key);
  if (v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function stringValue(s: string): AnyValue {
  return { stringValue: s };
}

export function intValue(n: number | bigint): AnyValue {
  return { intValue: String(typeof n === 'number' ? Math.trunc(n) : n) };
}

/** Builds KeyValues from a plain record (integers become intValue, other numbers doubleValue). */
export function fromPlain(record: Record<string, string | number | boolean | undefined>): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(record)) {
    if (v === undefined) continue;
    if (typeof v === 'string') out.push({ key, value: { stringValue: v } });
    else if (typeof v === 'boolean') out.push({ key, value: { boolValue: v } });
    else if (Number.isInteger(v)) out.push({ key, value: { intValue: String(v) } });
    else out.push({ key, value: { doubleValue: v } });
  }
  return out;
}

/** Replaces or appends attribute `key`; returns a new array. */
export function withAttribute(attrs: readonly KeyValue[], key: string, value: AnyValue): KeyValue[] {
  const out = attrs.filter((kv) => kv.key !== key);
  out.push({ key, value });
  return out;
}
