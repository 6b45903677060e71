// Before stitching, the control-plane view holds what the other collectors on a shared backend
// wrote; an unreadable backend delays nothing; a backend too far behind refuses batches (503).
import t from 'tap';
import type { TracesConsumer } from '../../src/consumer.js';
import { createControlPlaneState, openControlPlaneState } from '../../src/controlplane/index.js';
import type { SpanBatch } from '../../src/model/span.js';
import { createControlPlaneSync } from '../../src/processors/control-plane-sync/index.js';
import { flakyControlPlaneStore } from '../helpers/flaky-control-plane-store.js';

const pod = {
  type: 'ADDED' as const,
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-web-1', creationTimestamp: '2026-01-10T12:00:00Z' },
    status: { podIP: '10.1.1.1', startTime: '2026-01-10T12:00:01Z' },
  },
};
const batch: SpanBatch = { spans: [], receiver: 'test' };

t.test('not shared: the batch goes on to the next stage as it is', async (t) => {
  const seen: SpanBatch[] = [];
  const next: TracesConsumer = { consume: async (b) => void seen.push(b) };
  await createControlPlaneSync({ next, controlPlane: createControlPlaneState() }).consume(batch);
  t.same(seen, [batch]);
});

t.test(
  'a backend that cannot take the writes: past maxBacklog, batches are refused with 503 until it catches up',
  async (t) => {
    const store = flakyControlPlaneStore();
    const state = await openControlPlaneState({ store, closeStore: false, pollIntervalMs: 0 });
    t.teardown(() => state.close().catch(() => {}));
    let passed = 0;
    const next: TracesConsumer = { consume: async () => void passed++ };
    const stage = createControlPlaneSync({ next, controlPlane: state, maxBacklog: 2, retryAfterSeconds: 3 });
    store.failWrites = true;
    state.setDiagnoses('t1', 's1', []);
    state.setTraceRemaps([{ from: 'a', to: 'b' }]);
    await state.flush().catch(() => {});
    t.equal(state.backlog(), 2, 'two rows wait for the backend');
    await stage.consume(batch);
    t.equal(passed, 1, 'at the limit, batches still go on');
    state.setTraceRemaps([{ from: 'c', to: 'd' }]);
    t.equal(state.backlog(), 3);
    await t.rejects(stage.consume(batch), {
      code: 'CT_COLLECTOR_CONTROLPLANE_WRITE',
      statusCode: 503,
      retryAfterSeconds: 3,
    });
    t.equal(passed, 1, 'the refused batch never reached stitching');
    store.failWrites = false;
    await state.flush();
    t.equal(state.backlog(), 0, 'the backend took every queued row');
    t.equal(state.traceRemap('c'), 'd');
    await stage.consume(batch);
    t.equal(passed, 2, 'batches go on again');
  },
);

t.test('shared: what another collector wrote is in the view when the batch goes on', async (t) => {
  // no wake-ups, no polling: only the stage brings the other state's writes
  const store = flakyControlPlaneStore({ shared: true });
  const other = await openControlPlaneState({ store, closeStore: false, pollIntervalMs: 0 });
  const here = await openControlPlaneState({ store, closeStore: false, pollIntervalMs: 0 });
  t.teardown(async () => {
    await other.close();
    await here.close();
  });
  other.addObservations([pod]);
  await other.flush();
  t.equal(here.pod('u-web-1'), undefined, 'not yet in this view');
  const seen: (string | undefined)[] = [];
  const next: TracesConsumer = {
    consume: async () => {
      seen.push(here.pod('u-web-1')?.name);
    },
  };
  const errors: unknown[] = [];
  const stage = createControlPlaneSync({ next, controlPlane: here, onError: (e) => errors.push(e) });
  await stage.consume(batch);
  t.same(seen, ['web-1'], 'stitching sees the pod');
  store.failReads = true;
  await stage.consume(batch);
  t.equal(seen.length, 2, 'an unreadable backend does not hold the batch back');
  t.equal(errors.length, 1);
  t.match(errors[0], { code: 'CT_COLLECTOR_CONTROLPLANE_WRITE' });
});
