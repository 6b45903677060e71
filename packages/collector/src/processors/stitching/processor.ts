import { contextFromRequestId, REQUEST_ID_ATTRIBUTE } from '@crosstrace/contract';
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
import type { Diagnosis } from './diagnose.js';
import { diagnoseAttempt } from './diagnose.js';

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
  next: TracesConsumer;
  store: SpanStore;
  controlPlane: ControlPlaneState;
  /** clock-skew tolerance of the heuristic join (ms, default 20) */
  toleranceMs?: number;
  /** longest upstream attempt the heuristic looks back for (ms, default 60 000) */
  maxAttemptMs?: number;
  /** most spans one store search returns (default 5 000) */
  searchLimit?: number;
}

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
}

const MS = 1_000_000n;
const WIDEN_NS = 2_000n * MS;
const APP_QUERY: Omit<SpanQuery, 'limit'> = Object.freeze({ spanKind: 'server' });

function key(s: Span): string {
  return `${s.traceId}/${s.spanId}`;
}

function requestIdOf(s: Span): string | undefined {
  for (const attrs of [s.attributes, s.resource.attributes]) {
    const v = getAttribute(attrs, REQUEST_ID_ATTRIBUTE);
    if (typeof v === 'string' && v !== '') return v;
    if (Array.isArray(v) && typeof v[0] === 'string' && v[0] !== '') return v[0];
  }
  return undefined;
}

function attr(s: Span, k: string): string {
  return getStringAttribute(s.attributes, k) || getStringAttribute(s.resource.attributes, k);
}

export function isAttempt(s: Span): boolean {
  return s.layer === 'ingress' && s.kind === SpanKind.Client && attr(s, 'server.address') !== '';
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

function strip(s: Span): Span {
  return {
    ...s,
    attributes: s.attributes.filter((kv) => !OWNED_ATTRS.has(kv.key)),
    links: s.links.filter((l) => !OWNED_LINKS.has(getStringAttribute(l.attributes, LINK_TYPE))),
    events: s.events.filter((e) => e.name !== DIAGNOSIS_EVENT),
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

class Stitcher implements StitchingProcessor {
  readonly #next: TracesConsumer;
  readonly #store: SpanStore;
  readonly #cp: ControlPlaneState;
  readonly #tol: bigint;
  readonly #maxAttempt: bigint;
  readonly #limit: number;

  constructor(o: StitchingProcessorOptions) {
    this.#next = o.next;
    this.#store = o.store;
    this.#cp = o.controlPlane;
    this.#tol = BigInt(o.toleranceMs ?? 20) * MS;
    this.#maxAttempt = BigInt(o.maxAttemptMs ?? 60_000) * MS;
    this.#limit = o.searchLimit ?? 5000;
  }

  async consume(batch: SpanBatch): Promise<void> {
    // remaps first, so that children listed before their root in the same batch follow it
    for (const s of batch.spans) this.#registerRemap(s);
    // Traces whose stored spans may sit under an id that is (now) remapped: the old trace of every
    // span that creates a remap (its trace's spans may have come in earlier batches), and every
    // trace written here under its own id (a batch running beside this one may remap it).
    const moveFrom = new Set<string>();
    const spans = batch.spans.map((s0) => {
      const s = this.#joinExact(s0);
      if (s.traceId === s0.traceId || this.#targetTrace(s0) !== undefined) moveFrom.add(s0.traceId);
      return s;
    });
    const out = spans.map((s) => (isAttempt(s) ? this.#stitchAttempt(strip(s), undefined) : s));
    await this.#next.consume({ spans: out, receiver: batch.receiver });
    // heuristic joins and late control-plane data need the store: done after the batch is durable
    const seeds: Span[] = out.filter((s) => isAttempt(s) || (isAppRoot(s) && requestIdOf(s) === undefined));
    // late control-plane data: re-stitch the attempts to the touched pods' addresses while they
    // held them (open-ended for live pods), and every attempt around an ingress reload
    const ranges = new Map<string, { from?: bigint; to?: bigint }>();
    const reloads: bigint[] = [];
    for (const s of out) {
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
    try {
      // checked after this batch is durable, and remaps are registered before a batch is written:
      // of two batches racing, the later check sees the other's spans
      for (const from of moveFrom) {
        const to = this.#cp.traceRemap(from);
        if (to !== undefined && to !== from) await this.#moveTrace(from, to);
      }
      if (seeds.length > 0) await this.#relink(seeds);
      for (const [ip, r] of [...ranges].sort((x, y) => x[0].localeCompare(y[0])))
        await this.restitch({ fromNanos: r.from, toNanos: r.to, addresses: [ip] });
      if (reloads.length > 0) {
        const from = reloads.reduce(earlierOf) - this.#maxAttempt;
        const to = reloads.reduce(laterOf) + 2_000n * MS;
        await this.restitch({ fromNanos: from, toNanos: to });
      }
    } catch (err) {
      // the batch itself is stored; a retry re-sends it idempotently and re-stitches
      if (isCollectorError(err)) throw err;
      throw createError(CollectorErrorCode.StitchFailed, 'stitching after storage failed', {
        statusCode: 503,
        retryAfterSeconds: 1,
        cause: err,
      });
    }
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
    for (const s of stored) if (this.#targetTrace(s) === undefined) moved.push({ ...s, traceId: to });
    if (moved.length === 0) return;
    await this.#store.writeSpans(moved);
    await this.#store.deleteSpans(
      from,
      moved.map((s) => s.spanId),
    );
  }

  /** The trace a span's own data moves it to (audit id, X-Request-ID), if any. */
  #targetTrace(
    s: Span,
  ):
    | { kind: 'audit'; auditId: string }
    | { kind: 'request-id'; traceId: string; spanId: string }
    | undefined {
    const auditId = getStringAttribute(s.attributes, 'audit-id');
    if (auditId && s.scope.name !== '@crosstrace/collector/k8s-audit') return { kind: 'audit', auditId };
    if (
      s.kind === SpanKind.Server &&
      s.parentSpanId === '' &&
      s.layer !== 'ingress' &&
      s.layer !== 'control-plane'
    ) {
      const rid = requestIdOf(s);
      const ctx = rid === undefined ? undefined : contextFromRequestId(rid);
      if (ctx !== undefined) return { kind: 'request-id', traceId: ctx.traceId, spanId: ctx.spanId };
    }
    return undefined;
  }

  #registerRemap(s: Span): void {
    const target = this.#targetTrace(s);
    if (target === undefined) return;
    const traceId = target.kind === 'audit' ? traceIdFromAuditId(target.auditId) : target.traceId;
    if (s.traceId !== traceId) this.#cp.setTraceRemap(s.traceId, traceId);
  }

  #joinExact(s0: Span): Span {
    let s = s0;
    // spans that carry their own join (audit id, X-Request-ID) are handled on their original ids;
    // every other span follows its trace's remap
    if (this.#targetTrace(s) === undefined) {
      const remapped = this.#cp.traceRemap(s.traceId);
      if (remapped !== undefined) s = { ...s, traceId: remapped };
    }
    const auditId = getStringAttribute(s.attributes, 'audit-id');
    if (auditId && s.scope.name !== '@crosstrace/collector/k8s-audit') {
      // a kube-apiserver span (KEP-647): it and the rest of its trace move into the audit span's
      // trace, as the audit span's child; its original parent stays as a follows_from link
      const traceId = traceIdFromAuditId(auditId);
      const parent = spanIdFromAuditId(auditId);
      if (s.traceId !== traceId) {
        this.#cp.setTraceRemap(s.traceId, traceId);
        const links = s.parentSpanId
          ? [...s.links, link(s.traceId, s.parentSpanId, { [LINK_TYPE]: 'original-parent' })]
          : s.links;
        s = { ...s, traceId, parentSpanId: parent, links };
      } else if (s.parentSpanId === '') s = { ...s, parentSpanId: parent };
      return s;
    }
    if (
      s.kind === SpanKind.Server &&
      s.parentSpanId === '' &&
      s.layer !== 'ingress' &&
      s.layer !== 'control-plane'
    ) {
      const rid = requestIdOf(s);
      const ctx = rid === undefined ? undefined : contextFromRequestId(rid);
      if (ctx !== undefined) {
        // the ingress bridge gives the last upstream attempt exactly these ids
        if (s.traceId !== ctx.traceId) this.#cp.setTraceRemap(s.traceId, ctx.traceId);
        s = {
          ...s,
          traceId: ctx.traceId,
          parentSpanId: ctx.spanId,
          attributes: [
            ...s.attributes.filter((kv) => kv.key !== LINK_METHOD),
            ...fromPlain({ [LINK_METHOD]: 'x-request-id' }),
          ],
        };
      }
    }
    return s;
  }

  #podOf(a: Span): PodRecord | undefined {
    return this.#cp.podAt(attr(a, 'server.address'), a.startTimeUnixNano);
  }

  /** Pod link and diagnoses of an attempt (stripped input), plus the heuristic app link if any. */
  #stitchAttempt(a: Span, app: { span: Span; confidence: number } | undefined): Span {
    const pod = this.#podOf(a);
    const attributes = [...a.attributes];
    const links = [...a.links];
    const events = [...a.events];
    if (pod) {
      attributes.push(
        ...fromPlain({ 'crosstrace.k8s.pod.name': pod.name, 'crosstrace.k8s.pod.namespace': pod.namespace }),
      );
      const ref = podLifecycleRef(pod);
      links.push(
        link(ref.traceId, ref.spanId, {
          [LINK_TYPE]: 'pod-lifecycle',
          'k8s.pod.name': pod.name,
          'k8s.namespace.name': pod.namespace,
        }),
      );
    }
    const diagnoses = attemptFailed(a)
      ? diagnoseAttempt(
          this.#cp,
          {
            address: attr(a, 'server.address'),
            startNanos: a.startTimeUnixNano,
            endNanos: a.endTimeUnixNano,
          },
          pod,
        )
      : [];
    for (const d of diagnoses) events.push(diagnosisEvent(a.startTimeUnixNano, d));
    if (diagnoses.length > 0)
      attributes.push(...fromPlain({ 'crosstrace.diagnosis.codes': diagnoses.map((d) => d.code).join(',') }));
    if (app) {
      links.push(
        link(app.span.traceId, app.span.spanId, {
          [LINK_TYPE]: 'heuristic-app',
          [LINK_CONFIDENCE]: app.confidence,
        }),
      );
    }
    const stored: StoredDiagnosis[] = diagnoses.map((d) => ({
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
      attributes: [...s.attributes, ...fromPlain({ [LINK_CONFIDENCE]: attempt.confidence })],
      links: [
        ...s.links,
        link(attempt.span.traceId, attempt.span.spanId, {
          [LINK_TYPE]: 'heuristic-ingress',
          [LINK_CONFIDENCE]: attempt.confidence,
          [LINK_METHOD]: 'pod-timeline',
        }),
      ],
    };
  }

  /** App root spans the attempt may have reached: on its pod, starting and ending inside its window. */
  async #appCandidates(a: Span, cache: SearchCache): Promise<Span[]> {
    const pod = this.#podOf(a);
    if (pod === undefined) return [];
    // one search by kind and time serves every pod; the pod is matched here
    const spans = await cache.find(APP_QUERY, a.startTimeUnixNano - this.#tol, a.endTimeUnixNano + this.#tol);
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
  async #attemptCandidates(s: Span, cache: SearchCache): Promise<Span[]> {
    const found = new Map<string, Span>();
    const t = s.startTimeUnixNano;
    for (const pod of this.#podsOfApp(s))
      for (const addr of pod.ips) {
        const spans = await cache.find(
          { layer: 'ingress', spanKind: 'client', tags: { 'server.address': addr } },
          t - this.#maxAttempt - this.#tol,
          t + this.#tol,
        );
        for (const a of spans) {
          if (!isAttempt(a) || a.endTimeUnixNano + this.#tol < s.endTimeUnixNano) continue;
          if (this.#podOf(a)?.key !== pod.key) continue;
          found.set(key(a), a);
        }
      }
    return [...found.values()];
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
    for (const s of seeds) {
      if (isAttempt(s)) {
        if (this.#podOf(s)) add(APP_QUERY, s.startTimeUnixNano - this.#tol, s.endTimeUnixNano + this.#tol);
      } else {
        for (const pod of this.#podsOfApp(s))
          for (const addr of pod.ips)
            add(
              { layer: 'ingress', spanKind: 'client', tags: { 'server.address': addr } },
              s.startTimeUnixNano - this.#maxAttempt - this.#tol,
              s.startTimeUnixNano + this.#tol,
            );
      }
    }
    for (const w of windows.values()) await cache.find(w.base, w.min, w.max);
  }

  /** The spans a stored span is heuristically linked to now (so a link that no longer holds is removed). */
  async #currentPartners(s: Span, known: ReadonlyMap<string, Span>): Promise<Span[]> {
    const out: Span[] = [];
    for (const l of s.links) {
      const t = getStringAttribute(l.attributes, LINK_TYPE);
      if (t !== 'heuristic-app' && t !== 'heuristic-ingress') continue;
      const cached = known.get(`${l.traceId}/${l.spanId}`);
      if (cached) out.push(cached);
      else out.push(...(await this.#store.getSpansByIds(l.traceId, [l.spanId])));
    }
    return out;
  }

  /**
   * Recomputes the heuristic links of the seeds' whole candidate component (attempts ↔ app root
   * spans that could be each other's partner), so that the result is a function of the data, not
   * of the order it came in. Within a component, attempts are matched first-come-first-served: in
   * start order, each takes the earliest-starting candidate app span not yet taken (servers accept
   * in order). Attempts answered 502 (nginx got no response) take none. The confidence is
   * 1 / the larger candidate count of the pair.
   */
  async #relink(seeds: readonly Span[]): Promise<number> {
    const cache = new SearchCache(this.#store, this.#limit);
    await this.#prefetch(seeds, cache);
    const spans = new Map<string, Span>();
    const cand = new Map<string, string[]>();
    const candOf = async (s: Span): Promise<string[]> => {
      const k = key(s);
      let c = cand.get(k);
      if (c === undefined) {
        const list = isAttempt(s)
          ? await this.#appCandidates(s, cache)
          : await this.#attemptCandidates(s, cache);
        for (const x of list) if (!spans.has(key(x))) spans.set(key(x), x);
        c = list.map(key).sort();
        cand.set(k, c);
      }
      return c;
    };
    const queue: string[] = [];
    const inComponent = new Set<string>();
    const enqueue = (s: Span) => {
      const k = key(s);
      if (!spans.has(k)) spans.set(k, s);
      if (!inComponent.has(k)) {
        inComponent.add(k);
        queue.push(k);
      }
    };
    for (const s of seeds) enqueue(s);
    for (let head = 0; head < queue.length && inComponent.size <= this.#limit; head++) {
      const k = queue[head];
      const s = spans.get(k)!;
      for (const c of await candOf(s)) enqueue(spans.get(c)!);
      for (const p of await this.#currentPartners(s, spans)) enqueue(p);
    }
    const byStart = (x: string, y: string) => {
      const a = spans.get(x)!.startTimeUnixNano;
      const b = spans.get(y)!.startTimeUnixNano;
      return a < b ? -1 : a > b ? 1 : x.localeCompare(y);
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
      for (const c of await candOf(a)) {
        const s = spans.get(c)!;
        const head = s.startTimeUnixNano - a.startTimeUnixNano;
        const tail = a.endTimeUnixNano - s.endTimeUnixNano;
        edges.push({ a: k, s: c, cost: (head < 0n ? -head : head) + 8n * (tail < 0n ? -tail : tail) });
      }
    }
    edges.sort((x, y) =>
      x.cost < y.cost ? -1 : x.cost > y.cost ? 1 : x.a.localeCompare(y.a) || x.s.localeCompare(y.s),
    );
    const partner = new Map<string, { span: Span; confidence: number }>();
    for (const e of edges) {
      if (partner.has(e.a) || partner.has(e.s)) continue;
      const a = spans.get(e.a)!;
      const s = spans.get(e.s)!;
      const n = Math.max((await candOf(a)).length, (await candOf(s)).length);
      const confidence = Math.round(100 / n) / 100;
      partner.set(e.a, { span: strip(s), confidence });
      partner.set(e.s, { span: strip(a), confidence });
    }
    const updates: Span[] = [];
    for (const k of members) {
      const s = spans.get(k)!;
      const base = strip(s);
      const p = partner.get(k);
      const next = isAttempt(s) ? this.#stitchAttempt(base, p) : isAppRoot(s) ? this.#stitchApp(base, p) : s;
      if (!unchanged(next, s)) updates.push(next);
    }
    if (updates.length > 0) await this.#store.writeSpans(updates);
    return updates.length;
  }

  async restitch(range: RestitchRange = {}): Promise<number> {
    const attempts = new Map<string, Span>();
    const base = {
      layer: 'ingress',
      spanKind: 'client',
      startTimeMinNanos: range.fromNanos,
      startTimeMaxNanos: range.toNanos,
      limit: this.#limit,
    };
    if (range.addresses === undefined) {
      for (const a of await this.#store.findSpans(base)) if (isAttempt(a)) attempts.set(key(a), a);
    } else {
      for (const addr of range.addresses)
        for (const a of await this.#store.findSpans({ ...base, tags: { 'server.address': addr } }))
          if (isAttempt(a)) attempts.set(key(a), a);
    }
    if (attempts.size === 0) return 0;
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
