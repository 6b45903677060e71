import { laterOf } from '../../controlplane/time.js';
import type { Span } from '../../model/span.js';

/** Start times are compared as bigints; this one is later than every span's. */
const NEVER = 2n ** 64n;
/** …and this one earlier. */
const ALWAYS = -(2n ** 64n);

export interface RecentSpansOptions {
  /** Most spans held (attempts and app root spans); 0 turns the index off (every lookup goes to the store). */
  maxSpans: number;
  /** Most trace ids remembered (to know whether a trace has stored spans that a remap must move). */
  maxTraces: number;
  /** Spans that started this long before the newest one are dropped (ns). */
  horizonNanos: bigint;
}

/** A span held here: its latest version, and how many writes in flight pin it. */
export interface HeldSpan {
  readonly traceId: string;
  readonly spanId: string;
  span: Span;
  /** the next span held with the same span id (in another trace) */
  other: HeldSpan | undefined;
  pins: number;
  /** false once dropped or taken back (list entries pointing to it are stale) */
  live: boolean;
  /** the last read that returned it (duplicate list entries are read once) */
  seen: number;
}

/**
 * Held spans in one list (an upstream address, a pod), by start time: entry i is `helds[i]` as it
 * started at `starts[i]` (stale once the span is dropped or moved to another start).
 */
class TimeList {
  starts: bigint[] = [];
  helds: HeldSpan[] = [];
  /** the longest span ever listed (ns): bounds how far back a span ending after a time can start */
  maxDuration = 0n;

  insert(start: bigint, held: HeldSpan, duration: bigint): void {
    if (duration > this.maxDuration) this.maxDuration = duration;
    const e = this.starts;
    // arrivals are mostly in time order: appending is the common case
    if (e.length === 0 || e[e.length - 1] <= start) {
      e.push(start);
      this.helds.push(held);
      return;
    }
    const at = this.#lowerBound(start);
    e.splice(at, 0, start);
    this.helds.splice(at, 0, held);
  }

  /** Whether entry i still stands for its span (not dropped, not moved to another start). */
  #current(i: number): boolean {
    const h = this.helds[i];
    return h.live && h.span.startTimeUnixNano === this.starts[i];
  }

  /**
   * Appends the current spans starting in [min, max] (ending at or after `endMin`, if given) that
   * read `read` has not returned yet.
   */
  collect(min: bigint, max: bigint, endMin: bigint | undefined, read: number, out: Span[]): void {
    const e = this.starts;
    for (let i = this.#lowerBound(min); i < e.length && e[i] <= max; i++) {
      const h = this.helds[i];
      if (h.seen === read || !this.#current(i)) continue;
      if (endMin !== undefined && h.span.endTimeUnixNano < endMin) continue;
      h.seen = read;
      out.push(h.span);
    }
  }

  /** Whether a current span starts in [min, max]. */
  any(min: bigint, max: bigint): boolean {
    const e = this.starts;
    for (let i = this.#lowerBound(min); i < e.length && e[i] <= max; i++) if (this.#current(i)) return true;
    return false;
  }

  /** Keeps the current entries that start at or after `cut` or are pinned; true when the list is empty after. */
  prune(cut: bigint): boolean {
    const starts: bigint[] = [];
    const helds: HeldSpan[] = [];
    for (let i = 0; i < this.starts.length; i++)
      if (this.#current(i) && (this.starts[i] >= cut || this.helds[i].pins > 0)) {
        starts.push(this.starts[i]);
        helds.push(this.helds[i]);
      }
    this.starts = starts;
    this.helds = helds;
    return starts.length === 0;
  }

  #lowerBound(start: bigint): number {
    const e = this.starts;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * What the stitching processor knows of the spans it recently had stored, so that the joins a new
 * batch needs are answered from memory instead of store searches: upstream attempts by address,
 * app root spans by pod, and the trace ids written. Bounded in spans, in traces and in time.
 *
 * It answers a window only when it is certain to hold every stored span of that window: from
 * `completeFrom` on (the newest span the store held when the index started, the oldest start it
 * has since dropped); earlier windows go to the store. A span is added once its write is durable
 * (or, for the processor's own rewrites, once queued); `forget` takes back rewrites that failed.
 * State lives in this object only; a processor owns one.
 */
export class RecentSpans {
  readonly #opts: RecentSpansOptions;
  /** held spans by span id (the same id in another trace is chained on `other`) */
  readonly #spans = new Map<string, HeldSpan>();
  #count = 0;
  /** held spans pinned by batches in flight (written or being written): held whatever the bounds */
  #pinned = 0;
  readonly #lists = new Map<string, TimeList>();
  /** trace id → latest start of a span stored under it */
  readonly #traces = new Map<string, bigint>();
  /** what the store held when the index started (NEVER until then) */
  #base = NEVER;
  /** raised past every span dropped or taken back since */
  #floor = ALWAYS;
  #tracesFloor = ALWAYS;
  #newest = ALWAYS;
  /** no held span starts before this (the last sweep's cut, lowered by older arrivals) */
  #oldest = NEVER;
  /** a span starting after this makes a quarter of the horizon stale: time to sweep */
  #sweepAfter = NEVER;
  /** counts reads (`HeldSpan.seen`) */
  #reads = 0;

  constructor(opts: RecentSpansOptions) {
    this.#opts = opts;
  }

  /** False when the index is off (`maxSpans` 0): every lookup goes to the store. */
  get enabled(): boolean {
    return this.#opts.maxSpans > 0;
  }

  /** True once `start` was called. */
  get started(): boolean {
    return this.#base !== NEVER;
  }

  /**
   * Starts answering: the store's newest span started at `newestStored` (undefined: the store is
   * empty), so every window after it is known here.
   */
  start(newestStored: bigint | undefined): void {
    if (!this.enabled) return;
    this.#base = newestStored === undefined ? ALWAYS : newestStored + 1n;
  }

  /** Spans starting at or after this are all here. */
  get completeFrom(): bigint {
    return laterOf(this.#base, this.#floor);
  }

  /** True when every stored span of a window starting at `min` is here. */
  covers(min: bigint): boolean {
    return this.enabled && min >= this.#base && min >= this.#floor;
  }

  /** The latest version of a span held here. */
  get(traceId: string, spanId: string): Span | undefined {
    return this.#find(traceId, spanId)?.span;
  }

  #find(traceId: string, spanId: string): HeldSpan | undefined {
    for (let h = this.#spans.get(spanId); h !== undefined; h = h.other) if (h.traceId === traceId) return h;
    return undefined;
  }

  /**
   * Holds `span` under `key` in the given lists (replacing an earlier version of it). A `pinned`
   * span (of a batch not yet durable) is held until `unpin`, even when the index is off or full:
   * the joins computed before a write see the batch's own spans. Returns what `unpin` takes (for
   * a pinned span).
   */
  put(span: Span, lists: readonly string[], pinned = false): HeldSpan | undefined {
    if (!pinned && !this.enabled) return undefined;
    // one look-up of the span id: its chain gives both the held version and the new chain head
    const first = this.#spans.get(span.spanId);
    let held = first;
    while (held !== undefined && held.traceId !== span.traceId) held = held.other;
    const start = span.startTimeUnixNano;
    const moved = held === undefined || held.span.startTimeUnixNano !== start;
    if (held === undefined) {
      held = { traceId: span.traceId, spanId: span.spanId, span, other: first, pins: 0, live: true, seen: 0 };
      this.#spans.set(span.spanId, held);
      this.#count++;
    } else held.span = span;
    if (pinned && held.pins++ === 0) this.#pinned++;
    if (start > this.#newest) this.#newest = start;
    if (start < this.#oldest) {
      this.#oldest = start;
      this.#sweepAfter = start + this.#opts.horizonNanos + this.#opts.horizonNanos / 4n;
    }
    if (moved) {
      for (let i = 0; i < lists.length; i++) {
        let list = this.#lists.get(lists[i]);
        if (list === undefined) {
          list = new TimeList();
          this.#lists.set(lists[i], list);
        }
        list.insert(start, held, span.endTimeUnixNano - start);
      }
    }
    // a sweep costs a pass over the index: only once a quarter of the horizon is stale
    if (this.enabled && (this.#count > this.#opts.maxSpans + this.#pinned || this.#newest > this.#sweepAfter))
      this.#sweep();
    return pinned ? held : undefined;
  }

  /** Releases pinned spans (their batch is durable, or failed); an index that is off lets them go. */
  unpin(spans: readonly HeldSpan[]): void {
    for (let i = 0; i < spans.length; i++) {
      const h = spans[i];
      if (h.pins <= 0 || --h.pins > 0) continue;
      this.#pinned--;
      if (!this.enabled && h.live) this.#drop(h);
    }
    if (!this.enabled) {
      if (this.#pinned === 0) this.#lists.clear();
    } else if (this.#count > this.#opts.maxSpans + this.#pinned) this.#sweep();
  }

  /** Notes that a span of `traceId` starting at `start` is stored. */
  noteTrace(traceId: string, start: bigint): void {
    if (!this.enabled) return;
    const prev = this.#traces.get(traceId);
    if (prev !== undefined && start <= prev) return;
    this.#traces.set(traceId, start);
    if (prev === undefined && this.#traces.size > this.#opts.maxTraces) this.#sweepTraces();
  }

  /**
   * Whether spans of `traceId` may be stored, as far as the index can tell: false only when no
   * span of it was written since the index started and every span of it starts after
   * `notBefore` (the caller's bound), itself after what the index knows.
   */
  mayHaveTrace(traceId: string, notBefore: bigint): boolean {
    if (!this.enabled || this.#traces.has(traceId)) return true;
    return notBefore < this.#base || notBefore < this.#tracesFloor;
  }

  /**
   * The spans of list `name` starting in [min, max], newest version each; undefined when the
   * index cannot vouch for the window (it starts before `completeFrom`).
   */
  window(name: string, min: bigint, max: bigint, endMin?: bigint): Span[] | undefined {
    if (!this.covers(min)) return undefined;
    return this.held(name, min, max, false, endMin);
  }

  /**
   * The spans of list `name` (every list whose name starts with it when `prefix`) starting in
   * [min, max] that are held here, whether or not the index vouches for the whole window; with
   * `endMin`, only those ending at or after it (so only the start times they can have are read).
   */
  held(name: string, min: bigint, max: bigint, prefix = false, endMin?: bigint): Span[] {
    const out: Span[] = [];
    this.collect(name, min, max, out, prefix, endMin);
    return out;
  }

  /**
   * Appends to `out` what `held` returns, none of it twice for the same `read` (from `newRead`):
   * several lists are read into one result without duplicates.
   */
  collect(
    name: string,
    min: bigint,
    max: bigint,
    out: Span[],
    prefix = false,
    endMin?: bigint,
    read = this.newRead(),
  ): void {
    if (prefix) {
      for (const [n, list] of this.#lists)
        if (n.startsWith(name)) this.#read(list, min, max, endMin, read, out);
    } else {
      const list = this.#lists.get(name);
      if (list !== undefined) this.#read(list, min, max, endMin, read, out);
    }
  }

  /** A new read for `collect`. */
  newRead(): number {
    return ++this.#reads;
  }

  #read(
    list: TimeList,
    min: bigint,
    max: bigint,
    endMin: bigint | undefined,
    read: number,
    out: Span[],
  ): void {
    const from = endMin === undefined ? min : endMin - list.maxDuration;
    list.collect(from > min ? from : min, max, endMin, read, out);
  }

  /** Whether list `name` holds a span starting in [min, max] (what `held` would return one of). */
  holdsAny(name: string, min: bigint, max: bigint): boolean {
    return this.#lists.get(name)?.any(min, max) === true;
  }

  /**
   * Takes back spans whose write failed or that moved away: they are no longer vouched for here,
   * so windows holding them go to the store.
   */
  forget(spans: Iterable<Span>): void {
    for (const s of spans) {
      const h = this.#find(s.traceId, s.spanId);
      if (h !== undefined) this.#drop(h);
      if (s.startTimeUnixNano + 1n > this.#floor) this.#floor = s.startTimeUnixNano + 1n;
    }
  }

  /** Drops what started before `t` (span retention: the store no longer has it). */
  dropBefore(t: bigint): void {
    if (!this.enabled || t <= ALWAYS) return;
    if (t > this.#floor) this.#floor = t;
    this.#prune(t);
    for (const [id, at] of this.#traces) if (at < t) this.#traces.delete(id);
    if (t > this.#tracesFloor) this.#tracesFloor = t;
  }

  /** Sizes, for tests and metrics. */
  size(): { spans: number; traces: number } {
    return { spans: this.#count, traces: this.#traces.size };
  }

  #drop(h: HeldSpan): void {
    h.live = false;
    this.#count--;
    const first = this.#spans.get(h.spanId);
    if (first === h) {
      if (h.other === undefined) this.#spans.delete(h.spanId);
      else this.#spans.set(h.spanId, h.other);
      return;
    }
    for (let p = first; p !== undefined; p = p.other)
      if (p.other === h) {
        p.other = h.other;
        return;
      }
  }

  /** Drops spans past the horizon, then the oldest while over `maxSpans` (keeping ¾ of it). */
  #sweep(): void {
    let cut = this.#newest - this.#opts.horizonNanos;
    if (this.#count > this.#opts.maxSpans + this.#pinned) {
      const starts: bigint[] = [];
      for (const first of this.#spans.values())
        for (let h: HeldSpan | undefined = first; h !== undefined; h = h.other)
          starts.push(h.span.startTimeUnixNano);
      starts.sort(cmp);
      const keep = Math.floor((this.#opts.maxSpans * 3) / 4);
      const t = starts[starts.length - keep] ?? NEVER;
      if (t > cut) cut = t;
    }
    if (cut > this.#floor) this.#floor = cut;
    this.#prune(cut);
    this.#oldest = cut;
    this.#sweepAfter = cut + this.#opts.horizonNanos + this.#opts.horizonNanos / 4n;
  }

  #prune(cut: bigint): void {
    const dropped: HeldSpan[] = [];
    for (const first of this.#spans.values())
      for (let h: HeldSpan | undefined = first; h !== undefined; h = h.other)
        if (h.span.startTimeUnixNano < cut && h.pins === 0) dropped.push(h);
    for (const h of dropped) this.#drop(h);
    for (const [name, list] of this.#lists) if (list.prune(cut)) this.#lists.delete(name);
  }

  /** Forgets the traces with the oldest spans (keeping ¾ of `maxTraces`). */
  #sweepTraces(): void {
    const starts = [...this.#traces.values()].sort(cmp);
    const keep = Math.floor((this.#opts.maxTraces * 3) / 4);
    const t = starts[starts.length - keep] ?? NEVER;
    for (const [id, at] of this.#traces) if (at < t) this.#traces.delete(id);
    if (t > this.#tracesFloor) this.#tracesFloor = t;
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
