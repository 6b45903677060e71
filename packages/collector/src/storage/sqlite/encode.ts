// Turns spans into what the SQLite writer stores: flat rows of strings and numbers, cheap to hand
// to a worker thread (structured clone copies strings; the tag hashes travel as a transferable
// Float64Array). Runs on the caller's thread; the writer does only SQLite work.
import type { InstrumentationScope, Resource, Span } from '../../model/span.js';
import { StatusCode } from '../../model/span.js';
import { parentSpanIdOf, tagString } from '../matching.js';
import { encodeResourceScope, encodeSpanBody } from './codec.js';
import { tagHash } from './hash.js';

/** Values per span in `EncodedBatch.rows`. */
export const ROW_STRIDE = 11;

/**
 * rows: per span [traceId, spanId, parentId ('' for none), serviceName, name, kind,
 * resource index, layer, startNs, durationNs, body]; tagCounts[i] hashes of span i follow each
 * other in `tags`.
 */
export interface EncodedBatch {
  rows: unknown[];
  tagCounts: Uint16Array;
  tags: Float64Array;
  /** Encoded resource+scope pairs referenced by the rows, with their attribute hashes. */
  resources: Array<{ body: string; tags: number[] }>;
}

export const ERROR_TRUE = tagHash('error', 'true');
export const STATUS_ERROR = tagHash('otel.status_code', 'ERROR');
const UNINDEXED_DERIVED = new Set(['span.kind', 'crosstrace.layer', 'otel.status_code']);

/**
 * Hashes of a span's indexed tags: its attributes, plus the error-status tags (rare, and the
 * usual "show me failures" search). Derived tags present on most spans (`span.kind`,
 * `crosstrace.layer`, `otel.status_code=OK`) stay out of the index; they are columns, checked
 * while scanning (see `isIndexComplete`).
 */
export function pushTagHashes(out: number[], s: Span): void {
  for (const kv of s.attributes) out.push(tagHash(kv.key, tagString(kv.value)));
  if (s.status.code === StatusCode.Error) {
    out.push(ERROR_TRUE, STATUS_ERROR);
    if (s.status.message !== '') out.push(tagHash('otel.status_description', s.status.message));
  }
}

/** Search-index term of a service name. */
export function serviceTerm(name: string): number {
  return tagHash('\u0001service', name);
}

/** Search-index term of an operation (span) name, any service and kind. */
export function operationTerm(name: string): number {
  return tagHash('\u0001operation', name);
}

/** Search-index term of a layer. */
export function layerTerm(layer: string): number {
  return tagHash('\u0001layer', layer);
}

/** True when every span carrying tag key=value has a postings entry for tagHash(key, value). */
export function isIndexComplete(key: string, value: string): boolean {
  if (key === 'otel.status_code') return value === 'ERROR';
  return !UNINDEXED_DERIVED.has(key);
}

const resourceBodies = new WeakMap<Resource, WeakMap<InstrumentationScope, string>>();

function resourceBody(resource: Resource, scope: InstrumentationScope): string {
  let byScope = resourceBodies.get(resource);
  let body = byScope?.get(scope);
  if (body === undefined) {
    body = encodeResourceScope(resource, scope);
    if (byScope === undefined) {
      byScope = new WeakMap();
      resourceBodies.set(resource, byScope);
    }
    byScope.set(scope, body);
  }
  return body;
}

export function encodeBatch(spans: readonly Span[]): EncodedBatch {
  const rows: unknown[] = new Array(spans.length * ROW_STRIDE);
  const tagCounts = new Uint16Array(spans.length);
  const tags: number[] = [];
  const resources: EncodedBatch['resources'] = [];
  const resourceIndex = new Map<string, number>();
  let r = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const body = resourceBody(s.resource, s.scope);
    let ri = resourceIndex.get(body);
    if (ri === undefined) {
      ri = resources.length;
      resourceIndex.set(body, ri);
      resources.push({ body, tags: s.resource.attributes.map((kv) => tagHash(kv.key, tagString(kv.value))) });
    }
    const start = s.startTimeUnixNano;
    rows[r++] = s.traceId;
    rows[r++] = s.spanId;
    rows[r++] = parentSpanIdOf(s);
    rows[r++] = s.serviceName;
    rows[r++] = s.name;
    rows[r++] = s.kind;
    rows[r++] = ri;
    rows[r++] = s.layer;
    rows[r++] = start;
    rows[r++] = s.endTimeUnixNano > start ? s.endTimeUnixNano - start : 0n;
    rows[r++] = encodeSpanBody(s);
    const before = tags.length;
    pushTagHashes(tags, s);
    tagCounts[i] = Math.min(tags.length - before, 0xffff);
    tags.length = before + tagCounts[i];
  }
  return { rows, tagCounts, tags: Float64Array.from(tags), resources };
}
