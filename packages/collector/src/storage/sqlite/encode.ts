// Turns spans into what the SQLite writer stores, cheap to hand to a worker thread: ids as bytes
// and numbers in typed arrays (transferred, not copied), repeated strings (service, operation,
// layer) once per batch, span bodies as strings. Runs on the caller's thread; the writer does only
// SQLite work.
import type { InstrumentationScope, Resource, Span } from '../../model/span.js';
import { MAX_TIME_NANOS, StatusCode } from '../../model/span.js';
import { EVENT_NAME_TAG, parentSpanIdOf, tagString } from '../matching.js';
import { encodeResourceScope, encodeSpanBody } from './codec.js';
import { tagHash } from './hash.js';

/** Values per span in `EncodedBatch.nums`: kind, resource index, service, name, layer (indexes into `strings`), tag count. */
export const NUM_STRIDE = 6;

/**
 * Span i: ids are `ids` bytes [idEnds[3i-1] (0 for i = 0), idEnds[3i]) trace id, then up to
 * idEnds[3i+1] span id, then up to idEnds[3i+2] parent id (none when `hasParent[i]` is 0);
 * nums[6i..6i+5] as `NUM_STRIDE`; times[2i] start, times[2i+1] duration (ns); bodies[i];
 * its nums[6i+5] tag hashes follow those of span i-1 in `tags`.
 */
export interface EncodedBatch {
  count: number;
  ids: Uint8Array;
  idEnds: Uint32Array;
  hasParent: Uint8Array;
  nums: Float64Array;
  times: BigInt64Array;
  strings: string[];
  bodies: string[];
  tags: Float64Array;
  /** Encoded resource+scope pairs referenced by the spans, with their attribute hashes. */
  resources: Array<{ body: string; tags: number[] }>;
}

/** The buffers of a batch, to transfer instead of copy. */
export function transferList(b: EncodedBatch): ArrayBuffer[] {
  return [b.ids, b.idEnds, b.hasParent, b.nums, b.times, b.tags].map((a) => a.buffer as ArrayBuffer);
}

export const ERROR_TRUE = tagHash('error', 'true');
export const STATUS_ERROR = tagHash('otel.status_code', 'ERROR');
const UNINDEXED_DERIVED = new Set(['span.kind', 'crosstrace.layer', 'otel.status_code']);

/**
 * Hashes of a span's indexed tags: its attributes, its events' attributes and names (`event`),
 * plus the error-status tags (rare, and the usual "show me failures" search). Derived tags present on most spans (`span.kind`,
 * `crosstrace.layer`, `otel.status_code=OK`) stay out of the index; they are columns, checked
 * while scanning (see `isIndexComplete`).
 */
export function pushTagHashes(out: number[], s: Span): void {
  for (const kv of s.attributes) out.push(tagHash(kv.key, tagString(kv.value)));
  for (const e of s.events) {
    out.push(tagHash(EVENT_NAME_TAG, e.name));
    for (const kv of e.attributes) out.push(tagHash(kv.key, tagString(kv.value)));
  }
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

const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}
const INT64_MIN = -(2n ** 63n);

/**
 * Writes hex `id` at `at` as Buffer.from(id, 'hex') decodes it (pairs up to the first invalid
 * one); returns the end. In JS: a native call per id costs more than the loop.
 */
function putHex(buf: Uint8Array, at: number, id: string): number {
  for (let i = 0; i + 1 < id.length; i += 2) {
    const a = id.charCodeAt(i);
    const b = id.charCodeAt(i + 1);
    const hi = a < 128 ? HEX[a] : -1;
    const lo = b < 128 ? HEX[b] : -1;
    if (hi < 0 || lo < 0) break;
    buf[at++] = (hi << 4) | lo;
  }
  return at;
}

export function encodeBatch(spans: readonly Span[]): EncodedBatch {
  const n = spans.length;
  const parents: string[] = new Array(n);
  let idBytes = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    const parent = parentSpanIdOf(s);
    parents[i] = parent;
    idBytes += (s.traceId.length >> 1) + (s.spanId.length >> 1) + (parent.length >> 1);
  }
  const ids = new Uint8Array(idBytes);
  const idEnds = new Uint32Array(3 * n);
  const hasParent = new Uint8Array(n);
  const nums = new Float64Array(NUM_STRIDE * n);
  const times = new BigInt64Array(2 * n);
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (v: string): number => {
    let k = stringIndex.get(v);
    if (k === undefined) {
      k = strings.length;
      strings.push(v);
      stringIndex.set(v, k);
    }
    return k;
  };
  const bodies: string[] = new Array(n);
  const tags: number[] = [];
  const resources: EncodedBatch['resources'] = [];
  const resourceIndex = new Map<string, number>();
  let at = 0;
  for (let i = 0, r = 0; i < n; i++, r += NUM_STRIDE) {
    const s = spans[i];
    const body = resourceBody(s.resource, s.scope);
    let ri = resourceIndex.get(body);
    if (ri === undefined) {
      ri = resources.length;
      resourceIndex.set(body, ri);
      resources.push({ body, tags: s.resource.attributes.map((kv) => tagHash(kv.key, tagString(kv.value))) });
    }
    at = putHex(ids, at, s.traceId);
    idEnds[3 * i] = at;
    at = putHex(ids, at, s.spanId);
    idEnds[3 * i + 1] = at;
    const parent = parents[i];
    if (parent !== '') {
      hasParent[i] = 1;
      at = putHex(ids, at, parent);
    }
    idEnds[3 * i + 2] = at;
    const start = s.startTimeUnixNano;
    const duration = s.endTimeUnixNano > start ? s.endTimeUnixNano - start : 0n;
    // the receivers refuse such spans at decode (MAX_TIME_NANOS); this guards other producers
    if (start < INT64_MIN || start > MAX_TIME_NANOS || duration > MAX_TIME_NANOS) {
      throw new RangeError(`span ${s.spanId}: time out of the 64-bit range`);
    }
    times[2 * i] = start;
    times[2 * i + 1] = duration;
    nums[r] = s.kind;
    nums[r + 1] = ri;
    nums[r + 2] = str(s.serviceName);
    nums[r + 3] = str(s.name);
    nums[r + 4] = str(s.layer);
    bodies[i] = encodeSpanBody(s);
    const before = tags.length;
    pushTagHashes(tags, s);
    const count = Math.min(tags.length - before, 0xffff);
    nums[r + 5] = count;
    tags.length = before + count;
  }
  return {
    count: n,
    ids,
    idEnds,
    hasParent,
    nums,
    times,
    strings,
    bodies,
    tags: Float64Array.from(tags),
    resources,
  };
}
