import type { AnyValue, KeyValue, Span } from '../model/span.js';

function valueSize(v: AnyValue): number {
  if (v.stringValue !== undefined) return 16 + v.stringValue.length;
  if (v.bytesValue !== undefined) return 16 + v.bytesValue.length;
  if (v.arrayValue !== undefined) {
    let n = 16;
    for (const x of v.arrayValue.values) n += valueSize(x);
    return n;
  }
  if (v.kvlistValue !== undefined) return 16 + attrsSize(v.kvlistValue.values);
  return 16;
}

function attrsSize(attrs: readonly KeyValue[]): number {
  let n = 0;
  for (const kv of attrs) n += 32 + kv.key.length + valueSize(kv.value);
  return n;
}

/** A rough in-memory size of spans (resources counted once per batch would be cheaper; close enough). */
export function estimateSpansSize(spans: readonly Span[]): number {
  let n = 0;
  for (const s of spans) {
    n += 200 + s.name.length + attrsSize(s.attributes);
    for (const e of s.events) n += 48 + e.name.length + attrsSize(e.attributes);
    for (const l of s.links) n += 96 + attrsSize(l.attributes);
  }
  return n;
}
