// Before stitching, the control-plane view holds what the other collectors on a shared backend
// wrote; an unreadable backend delays nothing; without a shared backend the stage is not there.
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

t.test('not shared: the stage is the next one itself', async (t) => {
  const next: TracesConsumer = { consume: async () => {} };
  t.equal(createControlPlaneSync({ next, controlPlane: createControlPlaneState() }), next);
});

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
