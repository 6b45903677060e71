// The stitching processor's in-memory index: bounded, the store as fallback after a restart, and
// every write through the pipeline (never straight to the store).
import t from 'tap';
import {
  canonicalStore,
  loadScenarios,
  runOrder,
  splitAppUnits,
  type Unit,
  units,
  writerFor,
} from '../../../eval/scenario.js';
import { createControlPlaneState } from '../../../src/controlplane/index.js';
import { CollectorErrorCode, createError } from '../../../src/errors.js';
import type { Span, SpanBatch } from '../../../src/model/span.js';
import {
  createStitchingProcessor,
  type StitchingProcessor,
  type StitchingProcessorOptions,
} from '../../../src/processors/stitching/index.js';
import { RecentSpans } from '../../../src/processors/stitching/recent-spans.js';
import { ingestK8sText } from '../../../src/receivers/k8s/index.js';
import { createMemoryStore, type SpanStore } from '../../../src/storage/index.js';

const scenarios = loadScenarios();
const get = (name: string) => scenarios.find((s) => s.name === name)!;

async function feed(
  p: StitchingProcessor,
  u: Unit,
  controlPlane: ReturnType<typeof createControlPlaneState>,
) {
  if (u.kind === 'k8s') await ingestK8sText(u.text, { pipeline: p, controlPlane, receiver: 'k8s-objects' });
  else await p.consume({ spans: u.spans, receiver: u.receiver });
}

/** The store, except that writing or deleting throws: only reads are allowed from the processor. */
function readOnly(store: SpanStore): SpanStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'writeSpans' || prop === 'deleteSpans')
        return async () => {
          throw new Error(`the processor called ${String(prop)} on the store`);
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

for (const name of ['no-headers-busy', 'rollout-stale-endpoint', 'request-id-only']) {
  t.test(
    `${name}: a restart before every unit (empty index, the store as fallback) stores the same`,
    async (t) => {
      const sc = get(name);
      const u = name === 'request-id-only' ? splitAppUnits(sc) : units(sc);
      const reference = await canonicalStore(await runOrder(u));
      const store = createMemoryStore();
      const controlPlane = createControlPlaneState();
      for (const unit of u) {
        const p = createStitchingProcessor({ next: writerFor(store), store: readOnly(store), controlPlane });
        await feed(p, unit, controlPlane);
      }
      t.same(await canonicalStore({ store, controlPlane }), reference);
    },
  );
}

/** A scenario through one processor with `options` (read-only store, the pipeline's writer), and the reference. */
async function runWith(name: string, options: Partial<StitchingProcessorOptions>) {
  const u = units(get(name));
  const reference = await canonicalStore(await runOrder(u));
  const store = createMemoryStore();
  const controlPlane = createControlPlaneState();
  const p = createStitchingProcessor({
    next: writerFor(store),
    store: readOnly(store),
    controlPlane,
    ...options,
  });
  for (const unit of u) await feed(p, unit, controlPlane);
  return { p, reference, stored: await canonicalStore({ store, controlPlane }) };
}

t.test('a tiny index (2 spans, 1 ms horizon) stays bounded and stores the same', async (t) => {
  const { p, reference, stored } = await runWith('no-headers-burst', { indexSpans: 2, indexHorizonMs: 1 });
  t.ok(p.indexSize().spans <= 2, `index holds ${p.indexSize().spans} spans`);
  t.ok(p.indexSize().traces <= 4, `index holds ${p.indexSize().traces} trace ids`);
  t.same(stored, reference);
});

t.test('index off (indexSpans 0): every join from the store, same result', async (t) => {
  const { p, reference, stored } = await runWith('no-headers-sparse', { indexSpans: 0 });
  t.same(p.indexSize(), { spans: 0, traces: 0 });
  t.same(stored, reference);
});

t.test('rewrites ride with their batch: a full queue refuses both, the retry stores both', async (t) => {
  const sc = get('no-headers-sparse');
  const [k8s, ingress, app] = units(sc);
  const store = createMemoryStore();
  const controlPlane = createControlPlaneState();
  const writer = writerFor(store);
  let full = false;
  // the storage writer, with its queue full while `full` is set
  const next = {
    consume: (b: SpanBatch) =>
      full
        ? Promise.reject(
            createError(CollectorErrorCode.QueueFull, 'full', { statusCode: 429, retryAfterSeconds: 1 }),
          )
        : writer.consume(b),
  };
  const p = createStitchingProcessor({ next, store: readOnly(store), controlPlane });
  await feed(p, k8s, controlPlane);
  await feed(p, app, controlPlane);
  const before = await canonicalStore({ store, controlPlane });
  full = true;
  await t.rejects(feed(p, ingress, controlPlane), { code: CollectorErrorCode.QueueFull, statusCode: 429 });
  t.same(await canonicalStore({ store, controlPlane }), before, 'nothing of the refused batch, no rewrite');
  full = false;
  await feed(p, ingress, controlPlane);
  const reference = await canonicalStore(await runOrder([k8s, ingress, app]));
  t.same(
    await canonicalStore({ store, controlPlane }),
    reference,
    'the retry stored the batch and its links',
  );
});

t.test(
  'RecentSpans: windows only after what the store held at start; forget and drop move the floor',
  async (t) => {
    const idx = new RecentSpans({ maxSpans: 100, maxTraces: 100, horizonNanos: 1_000_000n });
    const span = (id: string, start: bigint) =>
      ({
        traceId: 'a'.repeat(32),
        spanId: id,
        startTimeUnixNano: start,
        endTimeUnixNano: start + 10n,
      }) as Span;
    t.equal(idx.window('x', 0n, 100n), undefined, 'not started: nothing vouched for');
    idx.start(50n);
    t.equal(idx.window('x', 50n, 100n), undefined, 'the store newest span starts at 50');
    t.same(idx.window('x', 51n, 100n), []);
    const k1 = span('1'.repeat(16), 60n);
    idx.put(k1, ['x']);
    idx.put(span('2'.repeat(16), 70n), ['x']);
    t.same(
      idx.window('x', 51n, 100n)?.map((s) => s.startTimeUnixNano),
      [60n, 70n],
    );
    t.same(
      idx.window('x', 51n, 100n, 75n)?.map((s) => s.startTimeUnixNano),
      [70n],
      'ending at or after 75',
    );
    idx.forget([k1]);
    t.equal(idx.window('x', 51n, 100n), undefined, 'a forgotten span: the window goes to the store');
    t.same(idx.window('x', 61n, 100n)?.length, 1);
    idx.noteTrace('t1', 80n);
    t.equal(idx.mayHaveTrace('t1', 200n), true);
    t.equal(idx.mayHaveTrace('t2', 200n), false, 'never written since start, and its spans start after 50');
    t.equal(idx.mayHaveTrace('t2', 40n), true, 'its spans may be older than the start');
    idx.dropBefore(90n);
    t.equal(idx.size().spans, 0);
    t.equal(idx.mayHaveTrace('t1', 200n), false, 'dropped with retention');
  },
);
