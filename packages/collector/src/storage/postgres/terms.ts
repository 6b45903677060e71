// The searchable terms of a span: one text per (key, value) tag, exact and unambiguous, so that
// a GIN index on the array answers tag searches without a second check.
import { createHash } from 'node:crypto';
import type { Span } from '../../model/span.js';
import { EVENT_NAME_TAG, syntheticTags, tagString } from '../matching.js';

/** Longest term stored as text; longer ones are stored as a hash (GIN entries must fit a third of a page). */
export const MAX_TERM_BYTES = 512;

/**
 * The term of one tag: the key's length, the key, `=`, the value (`4:http=GET`), so a key holding
 * `=` can never be confused with a value holding it; past {@link MAX_TERM_BYTES}, `#` and the term's
 * SHA-256.
 */
export function tagTerm(key: string, value: string): string {
  const t = `${key.length}:${key}=${value}`;
  if (t.length * 3 <= MAX_TERM_BYTES || Buffer.byteLength(t) <= MAX_TERM_BYTES) return t;
  return `#${createHash('sha256').update(t).digest('base64')}`;
}

/**
 * Every term a tag search can ask for on this span: attributes, resource attributes, derived tags,
 * and its events' attributes and names (`event=<name>`), as Jaeger searches log fields.
 */
export function spanTerms(s: Span): string[] {
  const out = new Set<string>();
  for (const kv of s.attributes) out.add(tagTerm(kv.key, tagString(kv.value)));
  for (const kv of s.resource.attributes) out.add(tagTerm(kv.key, tagString(kv.value)));
  for (const [k, v] of syntheticTags(s)) out.add(tagTerm(k, v));
  for (const e of s.events) {
    out.add(tagTerm(EVENT_NAME_TAG, e.name));
    for (const kv of e.attributes) out.add(tagTerm(kv.key, tagString(kv.value)));
  }
  return [...out];
}
