// Stitching scenarios as data: Kubernetes watch events, ingress and app spans in a compact JSON
// form, and the ground truth (which app span each attempt reached, which diagnoses apply).
import { readdirSync, readFileSync } from 'node:fs';
import type { TracesConsumer } from '../src/consumer.js';
import type { ControlPlaneState } from '../src/controlplane/index.js';
import { createControlPlaneState } from '../src/controlplane/index.js';
import { fromPlain, getStringAttribute } from '../src/model/attributes.js';
import type { KeyValue, Span } from '../src/model/span.js';
import { SpanKind, StatusCode } from '../src/model/span.js';
import { createStorageWriter } from '../src/pipeline/index.js';
import { createStitchingProcessor, LINK_CONFIDENCE, LINK_TYPE } from '../src/processors/stitching/index.js';
import { ingestK8sText } from '../src/receivers/k8s/index.js';
import type { SpanStore } from '../src/storage/index.js';
import { createMemoryStore } from '../src/storage/index.js';

export interface ScenarioSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'server' | 'client' | 'internal';
  layer: 'ingress' | 'app';
  service: string;
  /** ns since the epoch, decimal */
  start: string;
  end: string;
  attributes?: Record<string, string | number | boolean>;
  resource?: Record<string, string | number | boolean>;
  error?: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  /** Kubernetes data in arrival groups (each a JSON-lines text of watch events) */
  k8s: string[];
  ingress: ScenarioSpan[];
  app: ScenarioSpan[];
  truth: {
    /** [attempt span id, app span id] pairs */
    links: [string, string][];
    /** [attempt span id, code] pairs */
    diagnoses: [string, string][];
    /** exact joins must be 100% */
    exact: boolean;
  };
}

const KINDS = { server: SpanKind.Server, client: SpanKind.Client, internal: SpanKind.Internal } as const;

export function toSpan(s: ScenarioSpan): Span {
  const resourceAttrs: KeyValue[] = fromPlain({
    'service.name': s.service,
    'crosstrace.layer': s.layer,
    ...s.resource,
  });
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? '',
    traceState: '',
    flags: 1,
    name: s.name,
    kind: KINDS[s.kind],
    startTimeUnixNano: BigInt(s.start),
    endTimeUnixNano: BigInt(s.end),
    attributes: fromPlain({ ...s.attributes }),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: s.error ? StatusCode.Error : StatusCode.Unset, message: '' },
    resource: { attributes: resourceAttrs, droppedAttributesCount: 0 },
    scope: { name: 'eval', version: '', attributes: [] },
    serviceName: s.service,
    layer: s.layer,
  };
}

export function loadScenarios(dir = new URL('./scenarios/', import.meta.url)): Scenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Scenario);
}

/** The arrival units of a scenario: each k8s group, the ingress spans, the app spans. */
export type Unit = { kind: 'k8s'; text: string } | { kind: 'spans'; spans: Span[]; receiver: string };

export function units(s: Scenario): Unit[] {
  return [
    ...s.k8s.map((text) => ({ kind: 'k8s' as const, text })),
    { kind: 'spans', spans: s.ingress.map(toSpan), receiver: 'ingress' },
    { kind: 'spans', spans: s.app.map(toSpan), receiver: 'app' },
  ];
}

/** A child span id derived from its parent's (the reversed hex digits). */
function childSpanId(parent: string): string {
  return [...parent].reverse().join('');
}

/**
 * The arrival units with every app trace split over two batches, children first: one extra child
 * span under each app root, the children (old and new) in one unit, the roots in another. Where
 * the roots join the ingress trace by X-Request-ID, children that arrive before their root must
 * still end up in the joined trace.
 */
export function splitAppUnits(s: Scenario): Unit[] {
  const roots = s.app.filter((x) => !x.parentSpanId);
  const children: ScenarioSpan[] = [
    ...s.app.filter((x) => x.parentSpanId),
    ...roots.map((r) => ({
      traceId: r.traceId,
      spanId: childSpanId(r.spanId),
      parentSpanId: r.spanId,
      name: 'SELECT orders',
      kind: 'client' as const,
      layer: r.layer,
      service: r.service,
      start: r.start,
      end: r.end,
      resource: r.resource,
    })),
  ];
  return [
    ...s.k8s.map((text) => ({ kind: 'k8s' as const, text })),
    { kind: 'spans', spans: s.ingress.map(toSpan), receiver: 'ingress' },
    { kind: 'spans', spans: children.map(toSpan), receiver: 'app-children' },
    { kind: 'spans', spans: roots.map(toSpan), receiver: 'app' },
  ];
}

export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** The pipeline's storage writer over `store`, unbounded: the stitching processor's `next` in runs and tests. */
export function writerFor(store: SpanStore): TracesConsumer {
  return createStorageWriter({
    store,
    maxQueueSpans: Number.MAX_SAFE_INTEGER,
    maxQueueBytes: Number.MAX_SAFE_INTEGER,
    maxBatchSpans: 20_000,
    retryAfterSeconds: 1,
  });
}

export interface RunResult {
  store: SpanStore;
  controlPlane: ControlPlaneState;
}

/** Feeds the units in the given order through a fresh store, control-plane state and stitcher. */
export async function runOrder(order: readonly Unit[], opts: { store?: SpanStore } = {}): Promise<RunResult> {
  const store = opts.store ?? createMemoryStore();
  const controlPlane = createControlPlaneState();
  const stitching = createStitchingProcessor({ next: writerFor(store), store, controlPlane });
  for (const u of order) {
    if (u.kind === 'k8s')
      await ingestK8sText(u.text, { pipeline: stitching, controlPlane, receiver: 'k8s-objects' });
    else await stitching.consume({ spans: u.spans, receiver: u.receiver });
  }
  return { store, controlPlane };
}

/** Every stored span in a canonical text form (order-free), for comparing runs. */
export async function canonicalStore(r: RunResult): Promise<string[]> {
  const spans = await r.store.findSpans({ limit: 1_000_000 });
  const norm = (v: unknown): unknown =>
    JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  const sortKv = (kvs: readonly KeyValue[]) => [...kvs].sort((a, b) => a.key.localeCompare(b.key));
  const lines = spans.map((s) =>
    JSON.stringify(
      norm({
        t: s.traceId,
        s: s.spanId,
        p: s.parentSpanId,
        n: s.name,
        st: s.startTimeUnixNano,
        en: s.endTimeUnixNano,
        a: sortKv(s.attributes),
        l: s.links
          .map((l) => ({ ...l, attributes: sortKv(l.attributes) }))
          .sort((a, b) => `${a.traceId}${a.spanId}`.localeCompare(`${b.traceId}${b.spanId}`)),
        e: s.events
          .map((e) => ({ ...e, attributes: sortKv(e.attributes) }))
          .sort((a, b) => JSON.stringify(norm(a)).localeCompare(JSON.stringify(norm(b)))),
      }),
    ),
  );
  const diags = r.controlPlane.listDiagnoses({}).map((d) => JSON.stringify(norm(d)));
  return [...lines, ...diags].sort();
}

/**
 * Predicted ingress↔app links: parent relations to an attempt span, and heuristic links (only
 * those with at least `minConfidence` when given).
 */
export async function predictedLinks(r: RunResult, s: Scenario, minConfidence = 0): Promise<Set<string>> {
  const attemptIds = new Set(s.ingress.filter((x) => x.kind === 'client').map((x) => x.spanId));
  const appIds = new Set(s.app.map((x) => x.spanId));
  const out = new Set<string>();
  for (const span of await r.store.findSpans({ limit: 1_000_000 })) {
    if (!appIds.has(span.spanId)) continue;
    if (attemptIds.has(span.parentSpanId)) {
      const parents = await r.store.getSpansByIds(span.traceId, [span.parentSpanId]);
      if (parents.length > 0) out.add(`${span.parentSpanId}>${span.spanId}`);
    }
    for (const l of span.links)
      if (
        getStringAttribute(l.attributes, LINK_TYPE) === 'heuristic-ingress' &&
        Number(getStringAttribute(l.attributes, LINK_CONFIDENCE)) >= minConfidence
      )
        out.add(`${l.spanId}>${span.spanId}`);
  }
  return out;
}

export function predictedDiagnoses(r: RunResult): Set<string> {
  return new Set(r.controlPlane.listDiagnoses({}).map((d) => `${d.spanId}>${d.code}`));
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export function score(predicted: Set<string>, truth: Set<string>): Score {
  let tp = 0;
  for (const p of predicted) if (truth.has(p)) tp++;
  const fp = predicted.size - tp;
  const fn = truth.size - tp;
  return {
    tp,
    fp,
    fn,
    precision: predicted.size === 0 ? (truth.size === 0 ? 1 : 0) : tp / predicted.size,
    recall: truth.size === 0 ? 1 : tp / truth.size,
  };
}
