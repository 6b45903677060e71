// A control-plane backend over a memory one whose writes or reads fail while the test says so.
import { type ControlPlaneStore, MemoryControlPlaneStore } from '../../src/controlplane/index.js';

export interface FlakyControlPlaneStore extends ControlPlaneStore {
  /** the backend the data really goes to */
  inner: MemoryControlPlaneStore;
  failWrites: boolean;
  failReads: boolean;
}

export function flakyControlPlaneStore(opts: { shared?: boolean } = {}): FlakyControlPlaneStore {
  const inner = new MemoryControlPlaneStore({ shared: opts.shared });
  const flaky: FlakyControlPlaneStore = {
    inner,
    failWrites: false,
    failReads: false,
    backend: 'memory',
    shared: opts.shared === true,
    load: (before) => inner.load(before),
    write: async (batch) => {
      if (flaky.failWrites) throw new Error('connection refused');
      await inner.write(batch);
    },
    changesSince: async (cursor) => {
      if (flaky.failReads) throw new Error('connection terminated');
      return inner.changesSince(cursor);
    },
    auditRows: (ids) => inner.auditRows(ids),
    close: () => inner.close(),
  };
  return flaky;
}
