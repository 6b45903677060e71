// In-trace search (jaeger-ui's "find"): whitespace-separated terms, all of which must match a
// span; `key=value` matches an attribute (span, resource or event), any other term matches the
// service, the name, the span id, or any attribute key or value, case-insensitively.
import { formatValue } from './format.js';
import type { Attr, Trace, TraceSpan } from './types.js';

export interface SpanMatches {
  flags: Uint8Array;
  /** matching span indexes in row order */
  list: number[];
}

function attrHasKeyValue(attrs: readonly Attr[], key: string, value: string): boolean {
  for (const a of attrs)
    if (a.key.toLowerCase() === key && formatValue(a.value).toLowerCase() === value) return true;
  return false;
}

function attrContains(attrs: readonly Attr[], text: string): boolean {
  for (const a of attrs) {
    if (a.key.toLowerCase().includes(text)) return true;
    if (formatValue(a.value).toLowerCase().includes(text)) return true;
  }
  return false;
}

function termMatches(s: TraceSpan, term: string): boolean {
  const eq = term.indexOf('=');
  if (eq > 0) {
    const key = term.slice(0, eq);
    const value = term.slice(eq + 1);
    if (attrHasKeyValue(s.attributes, key, value) || attrHasKeyValue(s.resource, key, value)) return true;
    for (const e of s.events) if (attrHasKeyValue(e.attributes, key, value)) return true;
    return (key === 'service' && s.service.toLowerCase() === value) || (key === 'layer' && s.layer === value);
  }
  if (s.spanID === term || s.service.toLowerCase().includes(term) || s.name.toLowerCase().includes(term))
    return true;
  if (attrContains(s.attributes, term) || attrContains(s.resource, term)) return true;
  for (const e of s.events)
    if (e.name.toLowerCase().includes(term) || attrContains(e.attributes, term)) return true;
  return false;
}

/** Spans matching `query`; undefined for an empty query. */
export function searchSpans(trace: Trace, query: string): SpanMatches | undefined {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return undefined;
  const flags = new Uint8Array(trace.spans.length);
  const list: number[] = [];
  for (const s of trace.spans) {
    if (terms.every((t) => termMatches(s, t))) {
      flags[s.index] = 1;
      list.push(s.index);
    }
  }
  return { flags, list };
}
