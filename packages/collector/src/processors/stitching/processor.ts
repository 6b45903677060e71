import type { TracesConsumer } from '../../consumer.js';
import { spanIdFromAuditId, traceIdFromAuditId } from '../../controlplane/ids.js';
import { podLifecycleRef } from '../../controlplane/lifecycle.js';
import type { ControlPlaneState, StoredDiagnosis } from '../../controlplane/state.js';
import { earlierOf, laterOf } from '../../controlplane/time.js';
import type { PodRecord } from '../../controlplane/timeline.js';
import { CollectorErrorCode, createError, isCollectorError } from '../../errors.js';
import { fromPlain, getAttribute, getStringAttribute } from '../../model/attributes.js';
import type { KeyValue, Span, SpanBatch, SpanEvent, SpanLink } from '../../model/span.js';
import { SpanKind, StatusCode } from '../../model/span.js';
import type { SpanQuery, SpanStore } from '../../storage/span-store.js';
import { STITCHING_DEFAULTS } from './defaults.js';
import type { Diagnosis } from './diagnose.js';
import { diagnoseAttempt } from './diagnose.js';
import { type JoinTarget, joinTargetOf, requestIdOf } from './join-target.js';
import { type HeldSpan, RecentSpans } from './recent-spans.js';

/** Attributes, links and events the processor owns (stripped and recomputed on every re-stitch). */
export const LINK_TYPE = 'crosstrace.link.type';
export const LINK_CONFIDENCE = 'crosstrace.link.confidence';
export const LINK_METHOD = 'crosstrace.link.method';
export const DIAGNOSIS_EVENT = 'crosstrace.diagnosis';
const OWNED_ATTRS = new Set([
  LINK_CONFIDENCE,
  'crosstrace.k8s.pod.name',
  'crosstrace.k8s.pod.namespace',
  'crosstrace.diagnosis.codes',
]);
const OWNED_LINKS = new Set(['pod-lifecycle', 'heuristic-app', 'heuristic-ingress']);

export interface StitchingProcessorOptions {
  /** The next stage: the stitched batch, and the processor's own rewrites, go through it. */
  next: TracesConsumer;
  /** Read from (searches, whole traces); never written directly. */
  store: SpanStore;
  controlPlane: ControlPlaneState;
  /** clock-skew tolerance of the heuristic join (ms, default 20) */
  toleranceMs?: number;
  /** longest upstream attempt the heuristic looks back for (ms, default 60 000) */
  maxAttemptMs?: number;
  /** most spans one store search returns (default 5 000) */
  searchLimit?: number;
  /**
   * Most attempts and app root spans kept in memory for joins (default 50 000; 0: every join
   * searches the store, as several collectors writing one store need).
   */
  indexSpans?: number;
  /** Spans that started this long before the newest are dropped from memory (ms, default 600 000). */
  indexHorizonMs?: number;
  /** The span retention (ms): spans older than this are dropped from memory too. */
  retentionMs?: number;
}

/** The receiver name on the batches of the processor's own rewrites. */
export const STITCHING_RECEIVER = 'stitching';

export interface RestitchRange {
  fromNanos?: bigint;
  toNanos?: bigint;
  /** only attempts to these upstream addresses */
  addresses?: readonly string[];
}

/** A TracesConsumer that joins the layers, plus re-stitching for late data. */
export interface StitchingProcessor extends TracesConsumer {
  /** Re-stitches stored upstream attempts (and their heuristic partners) in the range; returns spans rewritten. */
  restitch(range?: RestitchRange): Promise<number>;
  /** What the in-memory index of recent spans holds (spans, trace ids). */
  indexSize(): { spans: number; traces: number };
  /** Forgets spans that started before `beforeNanos` (the store's retention deleted them). */
  expire(beforeNanos: bigint): void;
}

const MS = 1_000_000n;
/** The attribute an app span joined by X-Request-ID carries (shared, never mutated). */
const BY_REQUEST_ID: KeyValue = Object.freeze(fromPlain({ [LINK_METHOD]: 'x-request-id' })[0]) as KeyValue;
const MIN_NANOS = -(2n ** 63n);
const MAX_NANOS = 2n ** 63n - 1n;
const WIDEN_NS = 2_000n * MS;
const APP_QUERY: Omit<SpanQuery, 'limit'> = Object.freeze({ spanKind: 'server' });

function key(s: Span): string {
  return `${s.traceId}/${s.spanId}`;
}

function attr(s: Span, k: string): string {
  return getStringAttribute(s.attributes, k) || getStringAttribute(s.resource.attributes, k);
}

export function isAttempt(s: Span): boolean {
  return attemptAddress(s) !== '';
}

/** The upstream address of an attempt ('' for any other span). */
function attemptAddress(s: Span): string {
  return s.layer === 'ingress' && s.kind === SpanKind.Client ? attr(s, 'server.address') : '';
}

/** The index lists a span is held in: an attempt by address, an app root without X-Request-ID by pod. */
function indexListsOf(s: Span): string[] | undefined {
  const addr = attemptAddress(s);
  if (addr !== '') return [`a:${addr}`];
  if (isAppRoot(s) && requestIdOf(s) === undefined) return appLists(s);
  return undefined;
}

function appLists(s: Span): string[] {
  const lists: string[] = [];
  const name = attr(s, 'k8s.pod.name');
  const ip = attr(s, 'k8s.pod.ip');
  if (name) lists.push(`n:${name}`);
  if (ip) lists.push(`i:${ip}`);
  return lists;
}

export function isAppRoot(s: Span): boolean {
  return (
    s.kind === SpanKind.Server &&
    s.parentSpanId === '' &&
    s.layer !== 'ingress' &&
    s.layer !== 'control-plane'
  );
}

function attemptFailed(s: Span): boolean {
  const code = Number(getAttribute(s.attributes, 'http.response.status_code'));
  if (Number.isFinite(code) && code > 0) return code >= 500;
  return s.status.code === StatusCode.Error;
}

const ownedAttr = (kv: KeyValue) => OWNED_ATTRS.has(kv.key);
const isLinkMethod = (kv: KeyValue) => kv.key === LINK_METHOD;
const ownedLink = (l: SpanLink) => OWNED_LINKS.has(getStringAttribute(l.attributes, LINK_TYPE));
const ownedEvent = (e: SpanEvent) => e.name === DIAGNOSIS_EVENT;

/** The span without what the processor adds (the span itself when it carries none of it). */
function strip(s: Span): Span {
  if (!s.attributes.some(ownedAttr) && !s.links.some(ownedLink) && !s.events.some(ownedEvent)) return s;
  return {
    ...s,
    attributes: s.attributes.filter((kv) => !ownedAttr(kv)),
    links: s.links.filter((l) => !ownedLink(l)),
    events: s.events.filter((e) => !ownedEvent(e)),
  };
}

/** Deep equality of plain span data (bigints by value): what a re-stitch may change. */
function same(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || !same(a[ka[i]], b[ka[i]])) return false;
  return true;
}

/** Whether a re-stitch left a span as stored (ids, attributes, links, events). */
function unchanged(next: Span, s: Span): boolean {
  return (
    next.traceId === s.traceId &&
    next.spanId === s.spanId &&
    next.parentSpanId === s.parentSpanId &&
    same(next.attributes, s.attributes) &&
    same(next.links, s.links) &&
    same(next.events, s.events)
  );
}

function link(
  traceId: string,
  spanId: string,
  attrs: Record<string, string | number | boolean | undefined>,
): SpanLink {
  return {
    traceId,
    spanId,
    traceState: '',
    attributes: fromPlain({ 'opentracing.ref_type': 'follows_from', ...attrs }),
    droppedAttributesCount: 0,
    flags: 0,
  };
}

/** `l` frozen with its attributes and their values. */
function deepFreeze(l: SpanLink): SpanLink {
  for (const kv of l.attributes) Object.freeze(Object.freeze(kv).value);
  Object.freeze(l.attributes);
  return Object.freeze(l);
}

/** Attributes of the heuristic links (shared, never mutated). */
const FOLLOWS_FROM = sharedAttribute('opentracing.ref_type', 'follows_from');
const HEURISTIC_APP = sharedAttribute(LINK_TYPE, 'heuristic-app');
const HEURISTIC_INGRESS = sharedAttribute(LINK_TYPE, 'heuristic-ingress');
const BY_POD_TIMELINE = sharedAttribute(LINK_METHOD, 'pod-timeline');

function sharedAttribute(key: string, value: string): KeyValue {
  return Object.freeze({ key, value: Object.freeze({ stringValue: value }) }) as KeyValue;
}

/** The confidence attribute (as `fromPlain` makes a number). */
function confidenceAttribute(confidence: number): KeyValue {
  return {
    key: LINK_CONFIDENCE,
    value: Number.isInteger(confidence) ? { intValue: String(confidence) } : { doubleValue: confidence },
  };
}

/** A heuristic link (`link` with its attributes, built without `fromPlain`: one per joined pair). */
function heuristicLink(to: Span, type: KeyValue, confidence: number, method?: KeyValue): SpanLink {
  const attributes = [FOLLOWS_FROM, type, confidenceAttribute(confidence)];
  if (method !== undefined) attributes.push(method);
  return {
    traceId: to.traceId,
    spanId: to.spanId,
    traceState: '',
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
  };
}

function diagnosisEvent(at: bigint, d: Diagnosis): SpanEvent {
  const attrs: KeyValue[] = fromPlain({
    'crosstrace.diagnosis.code': d.code,
    'crosstrace.diagnosis.message': d.message,
  });
  for (const [k, v] of Object.entries(d.evidence))
    attrs.push(...fromPlain({ [`crosstrace.evidence.${k}`]: v }));
  return { timeUnixNano: at, name: DIAGNOSIS_EVENT, attributes: attrs, droppedAttributesCount: 0 };
}

/**
 * Store searches of one re-link, by query: a window already fetched in full answers any window
 * inside it from memory (a truncated result never does).
 */
class SearchCache {
  /** per query: fetched windows, each with its spans sorted by start (binary-searched on a hit) */
  readonly #entries = new Map<string, { min: bigint; max: bigint; spans: Span[] }[]>();

  constructor(
    private readonly store: SpanStore,
    private readonly limit: number,
  ) {}

  async find(base: Omit<SpanQuery, 'limit'>, min: bigint, max: bigint): Promise<Span[]> {
    const k = JSON.stringify(base);
    const list = this.#entries.get(k) ?? [];
    for (const e of list) if (e.min <= min && e.max >= max) return inWindow(e.spans, min, max);
    // a miss fetches a wider window: the component's next members are usually close in time
    const wideMin = min - WIDEN_NS;
    const wideMax = max + WIDEN_NS;
    const wide = await this.store.findSpans({
      ...base,
      startTimeMinNanos: wideMin,
      startTimeMaxNanos: wideMax,
      limit: this.limit,
    });
    if (wide.length < this.limit) {
      const sorted = [...wide].sort(byStartNanos);
      list.push({ min: wideMin, max: wideMax, spans: sorted });
      this.#entries.set(k, list);
      return inWindow(sorted, min, max);
    }
    return this.store.findSpans({
      ...base,
      startTimeMinNanos: min,
      startTimeMaxNanos: max,
      limit: this.limit,
    });
  }
}

function byStartNanos(a: Span, b: Span): number {
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;
}

/** The spans (sorted by start) starting in [min, max]. */
function inWindow(sorted: readonly Span[], min: bigint, max: bigint): Span[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].startTimeUnixNano < min) lo = mid + 1;
    else hi = mid;
  }
  const from = lo;
  hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].startTimeUnixNano <= max) lo = mid + 1;
    else hi = mid;
  }
  return sorted.slice(from, lo);
}

/** Code-unit order (ids are ASCII: the order localeCompare gives them, without its cost). */
function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What every attempt to a pod gets (shared by the spans, never mutated), and its app spans' index lists. */
interface PodLink {
  attributes: KeyValue[];
  link: SpanLink;
  /** `[link]`: the links of an attempt that has none of its own */
  links: SpanLink[];
  /** the index lists of its app root spans: by name, then by each IP */
  lists: string[];
}

/** No diagnosis (shared, never mutated). */
const NO_DIAGNOSES: readonly Diagnosis[] = Object.freeze([]);
const NO_STORED: readonly StoredDiagnosis[] = Object.freeze([]);

/** A value, or a promise of it when the store had to be asked. */
type Maybe<T> = T | Promise<T>;

/** The spans with duplicates (by trace and span id) removed, the later one kept. */
function unique(spans: readonly Span[]): Span[] {
  return [...new Map(spans.map((s) => [key(s), s])).values()];
}

class Stitcher implements StitchingProcessor {
  readonly #next: TracesConsumer;
  readonly #store: SpanStore;
  readonly #cp: ControlPlaneState;
  readonly #tol: bigint;
  readonly #maxAttempt: bigint;
  readonly #limit: number;
  readonly #retention: bigint | undefined;
  readonly #index: RecentSpans;
  /** the index's start (the store's newest span), shared by concurrent batches */
  #indexStart: Promise<void> | undefined;
  /** what attempts to a pod get, and the index lists of its app spans, once per pod record */
  readonly #podLinks = new WeakMap<PodRecord, PodLink>();
  /** the index list of the attempts to an address (bounded: cleared when large) */
  readonly #attemptLists = new Map<string, string[]>();

  constructor(o: StitchingProcessorOptions) {
    this.#next = o.next;
    this.#store = o.store;
    this.#cp = o.controlPlane;
    this.#tol = BigInt(o.toleranceMs ?? STITCHING_DEFAULTS.toleranceMs) * MS;
    this.#maxAttempt = BigInt(o.maxAttemptMs ?? STITCHING_DEFAULTS.maxAttemptMs) * MS;
    this.#limit = o.searchLimit ?? STITCHING_DEFAULTS.searchLimit;
    this.#retention =
      o.retentionMs === undefined || o.retentionMs <= 0 ? undefined : BigInt(o.retentionMs) * MS;
    this.#index = new RecentSpans({
      maxSpans: o.indexSpans ?? STITCHING_DEFAULTS.indexSpans,
      maxTraces: 2 * (o.indexSpans ?? STITCHING_DEFAULTS.indexSpans),
      horizonNanos: BigInt(o.indexHorizonMs ?? STITCHING_DEFAULTS.indexHorizonMs) * MS,
    });
  }

  indexSize(): { spans: number; traces: number } {
    return this.#index.size();
  }

  expire(beforeNanos: bigint): void {
    this.#index.dropBefore(beforeNanos);
  }

  /** Starts the index once: it vouches for what comes after the store's newest span. */
  #startIndex(): Promise<void> {
    if (!this.#index.enabled || this.#index.started) return Promise.resolve();
    this.#indexStart ??= this.#store.findSpans({ limit: 1 }).then(
      (newest) => this.#index.start(newest[0]?.startTimeUnixNano),
      (err: unknown) => {
        this.#indexStart = undefined;
        throw err;
      },
    );
    return this.#indexStart;
  }

  /**
   * The attributes and link every attempt to `pod` gets, built once per pod record (a record is
   * replaced when the pod changes; spans share these objects and never mutate them).
   */
  #podLink(pod: PodRecord): PodLink {
    let p = this.#podLinks.get(pod);
    if (p === undefined) {
      const ref = podLifecycleRef(pod);
      const podLink = link(ref.traceId, ref.spanId, {
        [LINK_TYPE]: 'pod-lifecycle',
        'k8s.pod.name': pod.name,
        'k8s.namespace.name': pod.namespace,
      });
      p = {
        lists: [`n:${pod.name}`, ...pod.ips.map((ip) => `i:${ip}`)],
        attributes: fromPlain({
          'crosstrace.k8s.pod.name': pod.name,
          'crosstrace.k8s.pod.namespace': pod.namespace,
        }),
        link: podLink,
        // deeply frozen: shared by the spans, and the store encodes a frozen link list once
        links: Object.freeze([deepFreeze(podLink)]) as SpanLink[],
      };
      this.#podLinks.set(pod, p);
    }
    return p;
  }

  /** The index lists of an attempt to `addr` (one array per address, shared). */
  #attemptList(addr: string): string[] {
    let l = this.#attemptLists.get(addr);
    if (l === undefined) {
      if (this.#attemptLists.size >= 10_000) this.#attemptLists.clear();
      l = [`a:${addr}`];
      this.#attemptLists.set(addr, l);
    }
    return l;
  }

  /**
   * Holds the spans of a write in the index (attempts by address, app roots by pod, each in
   * `lists[i]`, computed when not given), pinned; the returned function unpins them once it
   * settled. Every span's trace is noted.
   */
  #hold(spans: readonly Span[], lists?: readonly (string[] | undefined)[]): () => void {
    const pinned: HeldSpan[] = [];
    // the spans of one trace often come together: one note for each run of them, its latest start
    let lastTrace: string | undefined;
    let lastStart = 0n;
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      if (s.traceId !== lastTrace) {
        if (lastTrace !== undefined) this.#index.noteTrace(lastTrace, lastStart);
        lastTrace = s.traceId;
        lastStart = s.startTimeUnixNano;
      } else if (s.startTimeUnixNano > lastStart) lastStart = s.startTimeUnixNano;
      const l = lists === undefined ? indexListsOf(s) : lists[i];
      if (l === undefined) continue;
      const h = this.#index.put(s, l, true);
      if (h !== undefined) pinned.push(h);
    }
    if (lastTrace !== undefined) this.#index.noteTrace(lastTrace, lastStart);
    return () => this.#index.unpin(pinned);
  }

  /**
   * Sends the processor's own rewrites down the pipeline (the storage writer's queue, its bound
   * and its order), `supersedes` deleted once they are durable. The index holds the new versions
   * from now on; if the write fails, it takes them back (the store keeps the old ones).
   */
  async #rewrite(spans: Span[], supersedes?: SpanBatch['supersedes'], replaced: Span[] = []): Promise<void> {
    this.#index.forget(replaced);
    const release = this.#hold(spans);
    try {
      await this.#next.consume({ spans, receiver: STITCHING_RECEIVER, supersedes });
    } catch (err) {
      this.#index.forget(spans);
      throw err;
    } finally {
      release();
    }
  }

  async consume(batch: SpanBatch): Promise<void> {
    const input = batch.spans;
    const n = input.length;
    // remaps first, so that children listed before their root in the same batch follow it
    const targets: (JoinTarget | undefined)[] = new Array(n);
    const remaps: { from: string; to: string; atNanos: bigint }[] = [];
    for (let i = 0; i < n; i++) {
      const target = this.#findTargetTrace(input[i]);
      targets[i] = target;
      const r = this.#remapOf(input[i], target);
      if (r !== undefined) remaps.push(r);
    }
    if (remaps.length > 0) this.#cp.setTraceRemaps(remaps);
    // Traces whose stored spans may sit under an id that is (now) remapped: the old trace of every
    // span that creates a remap (its trace's spans may have come in earlier batches), and every
    // trace written here under its own id (a batch running beside this one may remap it). The
    // value bounds the start of the trace's other spans (a request-id root's descendants start
    // after it), so that the index can tell that nothing is stored under the old id.
    const moveFrom = new Map<string, bigint | undefined>();
    // the spans of a trace often come together: one remap look-up for them
    let lastTrace = '';
    let lastRemap: string | undefined;
    // each span on its joined trace; attempts also get their pod link and diagnoses; attempts and
    // app roots without X-Request-ID are held in the index and seed the heuristic joins
    const spans: Span[] = new Array(n);
    const out: Span[] = new Array(n);
    const lists: (string[] | undefined)[] = new Array(n);
    const pods: (PodRecord | undefined)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s0 = input[i];
      const target = targets[i];
      let s: Span;
      if (target !== undefined) {
        s = this.#joinExact(s0, target);
        const bound = target.kind === 'request-id' ? s0.startTimeUnixNano - this.#maxAttempt : undefined;
        const prev = moveFrom.get(s0.traceId);
        // the loosest bound of the trace's creating spans (none when one has none)
        if (prev !== undefined)
          moveFrom.set(s0.traceId, bound === undefined ? undefined : earlierOf(prev, bound));
        else if (!moveFrom.has(s0.traceId)) moveFrom.set(s0.traceId, bound);
      } else {
        if (s0.traceId !== lastTrace) {
          lastTrace = s0.traceId;
          lastRemap = this.#cp.traceRemap(lastTrace);
        }
        s = lastRemap === undefined ? s0 : { ...s0, traceId: lastRemap };
        // (the spans of a trace often come together: one look-up for them)
        if (
          s.traceId === s0.traceId &&
          (i === 0 || input[i - 1].traceId !== s0.traceId || targets[i - 1] !== undefined)
        )
          moveFrom.set(s0.traceId, undefined);
      }
      spans[i] = s;
      const addr = attemptAddress(s);
      if (addr !== '') {
        const pod = this.#cp.podAt(addr, s.startTimeUnixNano);
        out[i] = this.#stitchAttempt(strip(s), undefined, pod);
        lists[i] = this.#attemptList(addr);
        pods[i] = pod;
      } else {
        out[i] = s;
        // a span joined by its X-Request-ID is never a heuristic seed
        lists[i] =
          target?.kind !== 'request-id' && isAppRoot(s) && requestIdOf(s) === undefined
            ? appLists(s)
            : undefined;
      }
    }
    // late control-plane data: re-stitch the attempts to the touched pods' addresses while they
    // held them (open-ended for live pods), and every attempt around an ingress reload
    const ranges = new Map<string, { from?: bigint; to?: bigint }>();
    const reloads: bigint[] = [];
    for (let i = 0; i < out.length; i++) {
      const s = out[i];
      if (s.layer !== 'control-plane') continue;
      if (getStringAttribute(s.attributes, 'k8s.event.reason').toUpperCase() === 'RELOAD') {
        reloads.push(s.startTimeUnixNano, s.endTimeUnixNano);
        continue;
      }
      const podName = getStringAttribute(s.attributes, 'k8s.pod.name');
      if (!podName) continue;
      for (const p of this.#cp.podsByName(getStringAttribute(s.attributes, 'k8s.namespace.name'), podName))
        for (const ip of p.ips) {
          const from = (p.ipFromNanos ?? p.createdNanos ?? 0n) - this.#maxAttempt;
          const to = p.ipUntilNanos === undefined ? undefined : p.ipUntilNanos + 3_600_000n * MS;
          const cur = ranges.get(ip);
          if (cur === undefined) ranges.set(ip, { from, to });
          else {
            if (cur.from !== undefined && from < cur.from) cur.from = from;
            if (to === undefined || (cur.to !== undefined && to > cur.to)) cur.to = to;
          }
        }
    }
    // Heuristic joins are computed before the batch is written, over the index that now holds it
    // (and the store where the index cannot vouch): the batch's own spans are written once, in
    // their linked form, and the stored spans they change are rewritten in the same transaction.
    const releaseBatch = this.#hold(out, lists);
    let updates: Span[] = [];
    let failure: unknown;
    try {
      await this.#startIndex();
      if (this.#retention !== undefined) this.#index.dropBefore(BigInt(Date.now()) * MS - this.#retention);
      const seeds: Span[] = [];
      const fresh = new Set<Span>();
      for (let i = 0; i < out.length; i++) {
        if (lists[i] === undefined) continue;
        if (out[i] !== spans[i]) {
          // an attempt of this batch (stitched without a partner just now): with no candidate app
          // span it has nothing to relink
          const pod = pods[i];
          if (pod === undefined || !this.#mayHaveApps(out[i], pod)) continue;
          fresh.add(out[i]);
        }
        seeds.push(out[i]);
      }
      if (seeds.length > 0 || ranges.size > 0 || reloads.length > 0)
        updates = await this.#restitchFor(seeds, fresh, ranges, reloads);
    } catch (err) {
      failure = err;
    }
    const rewrites: Span[] = [];
    if (updates.length > 0) {
      const own = new Map<string, number>();
      for (let i = 0; i < out.length; i++) own.set(key(out[i]), i);
      for (const u of updates) {
        const i = own.get(key(u));
        if (i === undefined) rewrites.push(u);
        else out[i] = u;
      }
    }
    const releaseUpdates = this.#hold(updates);
    try {
      // the stored spans whose links change go in the same transaction
      await this.#next.consume({
        spans: out,
        receiver: batch.receiver,
        sizeBytes: updates.length === 0 ? batch.sizeBytes : undefined,
        ...(rewrites.length === 0 ? {} : { rewrites }),
      });
    } catch (err) {
      this.#index.forget(out);
      this.#index.forget(rewrites);
      releaseBatch();
      releaseUpdates();
      throw err;
    }
    releaseBatch();
    try {
      if (failure !== undefined) throw failure;
      // checked after this batch is durable, and remaps are registered before a batch is written:
      // of two batches racing, the later check sees the other's spans
      const moves: [string, string][] = [];
      moveFrom.forEach((bound, from) => {
        if (bound !== undefined && !this.#index.mayHaveTrace(from, bound)) return;
        const to = this.#cp.traceRemap(from);
        if (to === undefined || to === from) return;
        moves.push([from, to]);
      });
      for (const [from, to] of moves) await this.#moveTrace(from, to);
    } catch (err) {
      // the batch itself is stored; a retry re-sends it idempotently and re-stitches (a full queue
      // stays a 429: the rewrites wait for room like any batch)
      if (isCollectorError(err) && err.statusCode === 429) throw err;
      throw createError(CollectorErrorCode.StitchFailed, 'stitching after storage failed', {
        statusCode: 503,
        retryAfterSeconds: 1,
        cause: err,
      });
    } finally {
      releaseUpdates();
    }
  }

  /** The spans the seeds, and late control-plane data, change (not written). */
  async #restitchFor(
    seeds: readonly Span[],
    fresh: ReadonlySet<Span>,
    ranges: ReadonlyMap<string, { from?: bigint; to?: bigint }>,
    reloads: readonly bigint[],
  ): Promise<Span[]> {
    const updates = new Map<string, Span>();
    const add = (list: readonly Span[]) => {
      for (const u of list) updates.set(key(u), u);
    };
    if (seeds.length > 0) add(await this.#relink(seeds, fresh));
    for (const [ip, r] of [...ranges].sort((x, y) => cmpStr(x[0], y[0])))
      add(await this.#restitchUpdates({ fromNanos: r.from, toNanos: r.to, addresses: [ip] }));
    if (reloads.length > 0) {
      const from = reloads.reduce(earlierOf) - this.#maxAttempt;
      const to = reloads.reduce(laterOf) + 2_000n * MS;
      add(await this.#restitchUpdates({ fromNanos: from, toNanos: to }));
    }
    return [...updates.values()];
  }

  /**
   * Moves the stored spans of a remapped trace into its new trace, as if the remap had existed
   * when they arrived (they follow it like later spans do: new trace id, nothing else changed).
   * Write first, delete second: a crash in between leaves a duplicate under the old id (the
   * retried batch finishes the move), never a loss.
   */
  async #moveTrace(from: string, to: string): Promise<void> {
    const stored = await this.#store.getTrace(from);
    const moved: Span[] = [];
    const old: Span[] = [];
    for (const s0 of stored) {
      const s = this.#index.get(s0.traceId, s0.spanId) ?? s0;
      if (this.#findTargetTrace(s) !== undefined) continue;
      old.push(s);
      moved.push({ ...s, traceId: to });
    }
    if (moved.length === 0) return;
    await this.#rewrite(moved, [{ traceId: from, spanIds: old.map((s) => s.spanId) }], old);
  }

  /** The trace a span's own data moves it to (audit id, X-Request-ID), if any. */
  #findTargetTrace(s: Span): JoinTarget | undefined {
    return joinTargetOf(s);
  }

  /** The remap a span's own join makes (its trace → the joined one), dated by its start. */
  #remapOf(
    s: Span,
    target: JoinTarget | undefined,
  ): { from: string; to: string; atNanos: bigint } | undefined {
    if (target === undefined) return undefined;
    const traceId = target.kind === 'audit' ? traceIdFromAuditId(target.auditId) : target.traceId;
    return s.traceId === traceId ? undefined : { from: s.traceId, to: traceId, atNanos: s.startTimeUnixNano };
  }

  /** The span on the trace its exact joins say (its own remap target, else its trace's remap). */
  #joinExact(s: Span, target: JoinTarget | undefined): Span {
    // spans that carry their own join (audit id, X-Request-ID) are handled on their original ids;
    // every other span follows its trace's remap
    if (target === undefined) {
      const remapped = this.#cp.traceRemap(s.traceId);
      return remapped === undefined ? s : { ...s, traceId: remapped };
    }
    if (target.kind === 'audit') {
      // a kube-apiserver span (KEP-647): it and the rest of its trace move into the audit span's
      // trace, as the audit span's child; its original parent stays as a follows_from link
      const traceId = traceIdFromAuditId(target.auditId);
      const parent = spanIdFromAuditId(target.auditId);
      if (s.traceId !== traceId) {
        const links = s.parentSpanId
          ? [...s.links, link(s.traceId, s.parentSpanId, { [LINK_TYPE]: 'original-parent' })]
          : s.links;
        return { ...s, traceId, parentSpanId: parent, links };
      }
      return s.parentSpanId === '' ? { ...s, parentSpanId: parent } : s;
    }
    // the ingress bridge gives the last upstream attempt exactly these ids
    const attributes = s.attributes.some(isLinkMethod)
      ? [...s.attributes.filter((kv) => !isLinkMethod(kv)), BY_REQUEST_ID]
      : s.attributes.concat(BY_REQUEST_ID);
    return { ...s, traceId: target.traceId, parentSpanId: target.spanId, attributes };
  }

  #podOf(a: Span): PodRecord | undefined {
    return this.#cp.podAt(attr(a, 'server.address'), a.startTimeUnixNano);
  }

  /**
   * Pod link and diagnoses of an attempt (stripped input), plus the heuristic app link if any;
   * `pod` is the one behind its address at its start, when the caller has it.
   */
  #stitchAttempt(
    a: Span,
    app: { span: Span; confidence: number } | undefined,
    pod: PodRecord | undefined = this.#podOf(a),
  ): Span {
    let attributes = a.attributes;
    let links = a.links;
    let events = a.events;
    if (pod) {
      const p = this.#podLink(pod);
      attributes = attributes.concat(p.attributes);
      links = links.length === 0 ? p.links : links.concat(p.link);
    }
    const diagnoses: readonly Diagnosis[] = attemptFailed(a)
      ? diagnoseAttempt(
          this.#cp,
          {
            address: attr(a, 'server.address'),
            startNanos: a.startTimeUnixNano,
            endNanos: a.endTimeUnixNano,
          },
          pod,
        )
      : NO_DIAGNOSES;
    if (diagnoses.length > 0) {
      events = [...events, ...diagnoses.map((d) => diagnosisEvent(a.startTimeUnixNano, d))];
      attributes = attributes.concat(
        fromPlain({ 'crosstrace.diagnosis.codes': diagnoses.map((d) => d.code).join(',') }),
      );
    }
    if (app) {
      links = links.concat(heuristicLink(app.span, HEURISTIC_APP, app.confidence));
    }
    const stored: readonly StoredDiagnosis[] =
      diagnoses.length === 0
        ? NO_STORED
        : diagnoses.map((d) => ({
            traceId: a.traceId,
            spanId: a.spanId,
            code: d.code,
            message: d.message,
            evidence: d.evidence,
            timeNanos: a.startTimeUnixNano,
            service: a.serviceName,
          }));
    const prev = this.#cp.diagnosesOf(a.traceId, a.spanId);
    if (
      (prev.length > 0 || stored.length > 0) &&
      JSON.stringify(prev.map((d) => [d.code, d.message, d.evidence])) !==
        JSON.stringify(stored.map((d) => [d.code, d.message, d.evidence]))
    )
      this.#cp.setDiagnoses(a.traceId, a.spanId, stored);
    return { ...a, attributes, links, events };
  }

  #stitchApp(s: Span, attempt: { span: Span; confidence: number } | undefined): Span {
    if (attempt === undefined) return s;
    return {
      ...s,
      attributes: s.attributes.concat(confidenceAttribute(attempt.confidence)),
      links: s.links.concat(
        heuristicLink(attempt.span, HEURISTIC_INGRESS, attempt.confidence, BY_POD_TIMELINE),
      ),
    };
  }

  /** App root spans the attempt may have reached: on its pod, starting and ending inside its window. */
  #appCandidates(a: Span, cache: SearchCache): Maybe<Span[]> {
    const pod = this.#podOf(a);
    if (pod === undefined) return [];
    const min = a.startTimeUnixNano - this.#tol;
    const max = a.endTimeUnixNano + this.#tol;
    if (this.#index.covers(min)) return this.#appsOnPod(a, pod, this.#heldOnPod(pod, min, max));
    // one search by kind and time serves every pod; the pod is matched here
    return cache
      .find(APP_QUERY, min, max)
      .then((found) =>
        this.#appsOnPod(a, pod, unique([...this.#fresher(found), ...this.#heldOnPod(pod, min, max)])),
      );
  }

  /** The app root spans the index holds for `pod` (by name, by IP) starting in [min, max], once each. */
  #heldOnPod(pod: PodRecord, min: bigint, max: bigint): Span[] {
    const out: Span[] = [];
    const read = this.#index.newRead();
    for (const l of this.#podLink(pod).lists) this.#index.collect(l, min, max, out, false, undefined, read);
    return out;
  }

  /**
   * False when attempt `a` (to `pod`) certainly has no candidate app span: the index vouches for
   * its window and holds no app root span of the pod in it.
   */
  #mayHaveApps(a: Span, pod: PodRecord): boolean {
    const min = a.startTimeUnixNano - this.#tol;
    if (!this.#index.covers(min)) return true;
    const max = a.endTimeUnixNano + this.#tol;
    for (const l of this.#podLink(pod).lists) if (this.#index.holdsAny(l, min, max)) return true;
    return false;
  }

  /** Of `spans`, the app root spans on `pod` (without X-Request-ID) that fit in attempt `a`. */
  #appsOnPod(a: Span, pod: PodRecord, spans: readonly Span[]): Span[] {
    const out: Span[] = [];
    for (const s of spans) {
      if (!isAppRoot(s) || requestIdOf(s) !== undefined) continue;
      // the app answered before nginx got the answer: its span ends inside the attempt too
      if (s.endTimeUnixNano > a.endTimeUnixNano + this.#tol) continue;
      const name = attr(s, 'k8s.pod.name');
      const ns = attr(s, 'k8s.namespace.name');
      const onPod = name ? name === pod.name && (!ns || ns === pod.namespace) : false;
      if (onPod || pod.ips.includes(attr(s, 'k8s.pod.ip'))) out.push(s);
    }
    return out;
  }

  /** The pods an app span says it ran on (by name and namespace, or by IP). */
  #podsOfApp(s: Span): PodRecord[] {
    const name = attr(s, 'k8s.pod.name');
    const ns = attr(s, 'k8s.namespace.name');
    const ip = attr(s, 'k8s.pod.ip');
    const pods = new Map<string, PodRecord>();
    if (name)
      for (const p of ns ? this.#cp.podsByName(ns, name) : this.#cp.allPods().filter((x) => x.name === name))
        pods.set(p.key, p);
    if (ip) for (const p of this.#cp.ipHolders(ip)) pods.set(p.key, p);
    return [...pods.values()];
  }

  /** Attempts that may have reached an app root span: to its pod's address, window containing its start. */
  #attemptCandidates(s: Span, cache: SearchCache): Maybe<Span[]> {
    const found = new Map<string, Span>();
    const t = s.startTimeUnixNano;
    const pending: Promise<void>[] = [];
    for (const pod of this.#podsOfApp(s))
      for (const addr of pod.ips) {
        const take = (spans: readonly Span[]) => {
          for (const a of spans) {
            if (!isAttempt(a) || a.endTimeUnixNano + this.#tol < s.endTimeUnixNano) continue;
            if (this.#podOf(a)?.key !== pod.key) continue;
            found.set(key(a), a);
          }
        };
        const r = this.#attemptsTo(
          addr,
          t - this.#maxAttempt - this.#tol,
          t + this.#tol,
          cache,
          s.endTimeUnixNano - this.#tol,
        );
        if (r instanceof Promise) pending.push(r.then(take));
        else take(r);
      }
    if (pending.length === 0) return [...found.values()];
    // sequentially, as the cache fills: the searches of one re-link share windows
    return pending.reduce((p, q) => p.then(() => q), Promise.resolve()).then(() => [...found.values()]);
  }

  /** Attempts to `addr` starting in [min, max]: from the index, else the store. */
  #attemptsTo(addr: string, min: bigint, max: bigint, cache: SearchCache, endMin?: bigint): Maybe<Span[]> {
    const held = this.#index.window(`a:${addr}`, min, max, endMin);
    if (held !== undefined) return held;
    return cache
      .find({ layer: 'ingress', spanKind: 'client', tags: { 'server.address': addr } }, min, max)
      .then((found) => unique([...this.#fresher(found), ...this.#index.held(`a:${addr}`, min, max)]));
  }

  /** Store results with the index's newer versions (queued rewrites) in place of the stored ones. */
  #fresher(spans: Span[]): Span[] {
    return spans.map((s) => this.#index.get(s.traceId, s.spanId) ?? s);
  }

  /** One search per (query, union window) for all seeds, so a batch costs a few store searches. */
  async #prefetch(seeds: readonly Span[], cache: SearchCache): Promise<void> {
    const windows = new Map<string, { base: Omit<SpanQuery, 'limit'>; min: bigint; max: bigint }>();
    const add = (base: Omit<SpanQuery, 'limit'>, min: bigint, max: bigint) => {
      const k = JSON.stringify(base);
      const w = windows.get(k);
      if (w === undefined) windows.set(k, { base, min, max });
      else {
        w.min = earlierOf(w.min, min);
        w.max = laterOf(w.max, max);
      }
    };
    // windows the index answers need no search
    for (const s of seeds) {
      if (isAttempt(s)) {
        const min = s.startTimeUnixNano - this.#tol;
        if (!this.#index.covers(min) && this.#podOf(s)) add(APP_QUERY, min, s.endTimeUnixNano + this.#tol);
      } else {
        const min = s.startTimeUnixNano - this.#maxAttempt - this.#tol;
        if (this.#index.covers(min)) continue;
        for (const pod of this.#podsOfApp(s))
          for (const addr of pod.ips)
            add(
              { layer: 'ingress', spanKind: 'client', tags: { 'server.address': addr } },
              min,
              s.startTimeUnixNano + this.#tol,
            );
      }
    }
    for (const w of windows.values()) await cache.find(w.base, w.min, w.max);
  }

  /** The spans a stored span is heuristically linked to now (so a link that no longer holds is removed). */
  #currentPartners(s: Span, known: ReadonlyMap<string, Span>): Maybe<Span[]> {
    const out: Span[] = [];
    const missing: SpanLink[] = [];
    for (const l of s.links) {
      const t = getStringAttribute(l.attributes, LINK_TYPE);
      if (t !== 'heuristic-app' && t !== 'heuristic-ingress') continue;
      const k = `${l.traceId}/${l.spanId}`;
      const cached = known.get(k) ?? this.#index.get(l.traceId, l.spanId);
      if (cached) out.push(cached);
      else missing.push(l);
    }
    if (missing.length === 0) return out;
    return (async () => {
      for (const l of missing)
        out.push(...this.#fresher(await this.#store.getSpansByIds(l.traceId, [l.spanId])));
      return out;
    })();
  }

  /**
   * Recomputes the heuristic links of the seeds' whole candidate component (attempts ↔ app root
   * spans that could be each other's partner), so that the result is a function of the data, not
   * of the order it came in. Within a component, attempts are matched first-come-first-served: in
   * start order, each takes the earliest-starting candidate app span not yet taken (servers accept
   * in order). Attempts answered 502 (nginx got no response) take none. The confidence is
   * 1 / the larger candidate count of the pair.
   */
  async #relink(seeds: readonly Span[], fresh: ReadonlySet<Span> = new Set()): Promise<Span[]> {
    const cache = new SearchCache(this.#store, this.#limit);
    await this.#prefetch(seeds, cache);
    const spans = new Map<string, Span>();
    const cand = new Map<string, string[]>();
    // the key of each span object, made once (the same objects come back from the index)
    const keys = new Map<Span, string>();
    const keyOf = (s: Span): string => {
      let k = keys.get(s);
      if (k === undefined) {
        k = key(s);
        keys.set(s, k);
      }
      return k;
    };
    const keep = (k: string, list: readonly Span[]): string[] => {
      const ks: string[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const kx = keyOf(list[i]);
        if (!spans.has(kx)) spans.set(kx, list[i]);
        ks[i] = kx;
      }
      ks.sort();
      cand.set(k, ks);
      return ks;
    };
    // candidates are computed once per member; from the index without a promise
    const candOf = (s: Span): Maybe<string[]> => {
      const k = keyOf(s);
      const c = cand.get(k);
      if (c !== undefined) return c;
      const r = isAttempt(s) ? this.#appCandidates(s, cache) : this.#attemptCandidates(s, cache);
      return r instanceof Promise ? r.then((list) => keep(k, list)) : keep(k, r);
    };
    const queue: string[] = [];
    const inComponent = new Set<string>();
    const enqueue = (s: Span) => {
      const k = keyOf(s);
      if (!spans.has(k)) spans.set(k, s);
      if (!inComponent.has(k)) {
        inComponent.add(k);
        queue.push(k);
      }
    };
    for (const s of seeds) {
      // an attempt of this batch (no partner yet) with no candidate has nothing to relink
      if (fresh.has(s)) {
        let c = candOf(s);
        if (c instanceof Promise) c = await c;
        if (c.length === 0) continue;
      }
      enqueue(s);
    }
    if (queue.length === 0) return [];
    for (let head = 0; head < queue.length && inComponent.size <= this.#limit; head++) {
      const k = queue[head];
      const s = spans.get(k)!;
      let c = candOf(s);
      if (c instanceof Promise) c = await c;
      for (const x of c) enqueue(spans.get(x)!);
      let partners = this.#currentPartners(s, spans);
      if (partners instanceof Promise) partners = await partners;
      for (const p of partners) enqueue(p);
    }
    const byStart = (x: string, y: string) => {
      const a = spans.get(x)!.startTimeUnixNano;
      const b = spans.get(y)!.startTimeUnixNano;
      return a < b ? -1 : a > b ? 1 : cmpStr(x, y);
    };
    const members = [...inComponent].sort(byStart);
    // tightest fit first: the pair whose app span fills its attempt window best is matched, then
    // the next among the free ones. The end counts 8× the start: a response reaches nginx within
    // network time, while a request may wait in the app's queue before its span starts. Attempts
    // answered 502 (nginx got no response) take none.
    const edges: { a: string; s: string; cost: bigint }[] = [];
    for (const k of members) {
      const a = spans.get(k)!;
      if (!isAttempt(a) || Number(getAttribute(a.attributes, 'http.response.status_code')) === 502) continue;
      let cs = candOf(a);
      if (cs instanceof Promise) cs = await cs;
      for (const c of cs) {
        const s = spans.get(c)!;
        const head = s.startTimeUnixNano - a.startTimeUnixNano;
        const tail = a.endTimeUnixNano - s.endTimeUnixNano;
        edges.push({ a: k, s: c, cost: (head < 0n ? -head : head) + 8n * (tail < 0n ? -tail : tail) });
      }
    }
    edges.sort((x, y) => (x.cost < y.cost ? -1 : x.cost > y.cost ? 1 : cmpStr(x.a, y.a) || cmpStr(x.s, y.s)));
    const partner = new Map<string, { span: Span; confidence: number }>();
    for (const e of edges) {
      if (partner.has(e.a) || partner.has(e.s)) continue;
      const a = spans.get(e.a)!;
      const s = spans.get(e.s)!;
      let ca = candOf(a);
      if (ca instanceof Promise) ca = await ca;
      let cs = candOf(s);
      if (cs instanceof Promise) cs = await cs;
      const n = Math.max(ca.length, cs.length);
      const confidence = Math.round(100 / n) / 100;
      partner.set(e.a, { span: strip(s), confidence });
      partner.set(e.s, { span: strip(a), confidence });
    }
    const updates: Span[] = [];
    for (const k of members) {
      const s = spans.get(k)!;
      const p = partner.get(k);
      // an attempt of this batch was stitched without a partner a moment ago, from the same state
      if (p === undefined && fresh.has(s)) continue;
      const base = strip(s);
      const next = isAttempt(s) ? this.#stitchAttempt(base, p) : isAppRoot(s) ? this.#stitchApp(base, p) : s;
      if (!unchanged(next, s)) updates.push(next);
    }
    return updates;
  }

  async restitch(range: RestitchRange = {}): Promise<number> {
    await this.#startIndex();
    const updates = await this.#restitchUpdates(range);
    if (updates.length > 0) await this.#rewrite(updates);
    return updates.length;
  }

  /** The stored upstream attempts (and heuristic partners) in the range that a re-stitch changes. */
  async #restitchUpdates(range: RestitchRange): Promise<Span[]> {
    const attempts = new Map<string, Span>();
    const base = {
      layer: 'ingress',
      spanKind: 'client',
      startTimeMinNanos: range.fromNanos,
      startTimeMaxNanos: range.toNanos,
      limit: this.#limit,
    };
    if (range.addresses === undefined) {
      for (const a of this.#fresher(await this.#store.findSpans(base)))
        if (isAttempt(a)) attempts.set(key(a), a);
    } else {
      for (const addr of range.addresses)
        for (const a of this.#fresher(
          await this.#store.findSpans({ ...base, tags: { 'server.address': addr } }),
        ))
          if (isAttempt(a)) attempts.set(key(a), a);
    }
    // attempts the index holds that the store may not have yet (the batch being stitched)
    const min = range.fromNanos ?? MIN_NANOS;
    const max = range.toNanos ?? MAX_NANOS;
    const held =
      range.addresses === undefined
        ? this.#index.held('a:', min, max, true)
        : range.addresses.flatMap((addr) => this.#index.held(`a:${addr}`, min, max));
    for (const a of held) attempts.set(key(a), a);
    if (attempts.size === 0) return [];
    return this.#relink([...attempts.values()]);
  }
}

/**
 * The stitching processor: joins ingress and app spans (exact by trace context, by X-Request-ID,
 * else by the pod-IP timeline with a confidence), links each upstream attempt to the lifecycle span
 * of the pod behind its address, attaches diagnoses, and re-stitches stored spans as late data
 * (app spans, control-plane objects) arrives. Its result does not depend on arrival order.
 *
 * @example
 * const stitching = createStitchingProcessor({ next: storageWriter, store, controlPlane });
 */
export function createStitchingProcessor(opts: StitchingProcessorOptions): StitchingProcessor {
  return new Stitcher(opts);
}
