// The control-plane state on every backend: memory, SQLite and PostgreSQL hold the same timeline,
// diagnoses and remaps across a reopen, follow retention alike, read late audit stages back, and
// (the shared backends) let several states see each other's writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadScenarios } from '../../eval/scenario.js';
import type {
  ControlPlaneState,
  ControlPlaneStore,
  Observation,
  StoredDiagnosis,
} from '../../src/controlplane/index.js';
import {
  createControlPlaneState,
  MemoryControlPlaneStore,
  openControlPlaneState,
  parseK8sTime,
  SqliteControlPlaneStore,
} from '../../src/controlplane/index.js';
import { affectedGroups, buildLifecycleSpans } from '../../src/controlplane/lifecycle.js';
import { parseK8sText } from '../../src/receivers/k8s-objects/parse.js';
import { openPostgresControlPlaneStore } from '../../src/storage/index.js';
import { flakyControlPlaneStore } from '../helpers/flaky-control-plane-store.js';
import { podObject } from '../helpers/pod-object.js';
import { startPostgres } from '../helpers/postgres.js';

const ns = (iso: string) => parseK8sTime(iso)!;

interface Backend {
  name: string;
  /** a new connection to the same data */
  open(): Promise<ControlPlaneStore>;
  /** states close the store they were given (memory: the data lives in the one instance) */
  closeStore: boolean;
  /** empty data from now on (each test starts with it) */
  reset(): Promise<void>;
}

const pod = podObject.bind(undefined, {
  createdAt: '2026-01-10T12:00:00Z',
  startedAt: '2026-01-10T12:00:01Z',
});

/** An IP reused: `old` deleted at 12:01, `new` started at 12:02. */
const reuse: Observation[] = [
  { type: 'ADDED', object: pod('old', 'u1', '10.244.1.7', 1) },
  { type: 'DELETED', object: pod('old', 'u1', '10.244.1.7', 2), arrivalNanos: ns('2026-01-10T12:01:00Z') },
  {
    type: 'ADDED',
    object: {
      ...pod('new', 'u2', '10.244.1.7', 3),
      status: { podIP: '10.244.1.7', startTime: '2026-01-10T12:02:00Z' },
    },
  },
];

function diagnosis(span: string, code: string, at: bigint): StoredDiagnosis {
  return {
    traceId: 'a'.repeat(32),
    spanId: span,
    code,
    message: `${code} at ${at}`,
    evidence: { pod: 'shop/old', lagMs: 3 },
    timeNanos: at,
    service: 'ingress-nginx',
  };
}

function auditStage(id: string, stage: string, at: string) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: id,
    stage,
    verb: 'delete',
    requestURI: '/api/v1/namespaces/shop/pods/old',
    requestReceivedTimestamp: '2026-01-10T12:00:50Z',
    stageTimestamp: at,
  };
}

/** What a state answers, for comparing two states. */
function view(cp: ControlPlaneState) {
  return {
    pods: cp.allPods(),
    at: [ns('2026-01-10T12:00:30Z'), ns('2026-01-10T12:01:30Z'), ns('2026-01-10T12:03:00Z')].map(
      (at) => cp.podAt('10.244.1.7', at)?.name,
    ),
    diagnoses: cp.listDiagnoses({}),
    remap: cp.traceRemap('b'.repeat(32)),
  };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every Kubernetes text the tests know: the fixtures and the evaluation scenarios' arrivals. */
const K8S_TEXTS = [
  readFileSync(new URL('../fixtures/kubernetes/events-deployment-rollout.yaml', import.meta.url), 'utf8'),
  readFileSync(new URL('../fixtures/kubernetes/audit-events.jsonl', import.meta.url), 'utf8'),
  ...loadScenarios().flatMap((sc) => sc.k8s),
];

/** All a state derives: pods, IP holders, membership changes, Events, lifecycle spans. */
function derived(cp: ControlPlaneState) {
  const pods = cp.allPods();
  const ips = [...new Set(pods.flatMap((p) => p.ips))].sort();
  const groups = affectedGroups(cp, {
    added: 0,
    duplicates: 0,
    podKeys: pods.map((p) => p.key),
    eventKeys: cp.allEvents().map((e) => String(e.metadata?.uid ?? '')),
    sliceKeys: [],
    auditIds: [],
    objectKeys: [],
  });
  return {
    pods,
    holders: ips.map((ip) => cp.ipHolders(ip).map((p) => p.key)),
    changes: ips.map((ip) => cp.endpointChanges(ip)),
    events: cp.allEvents().length,
    spans: buildLifecycleSpans(cp, groups)
      .map((x) => `${x.traceId}/${x.spanId} ${x.name} ${x.startTimeUnixNano}-${x.endTimeUnixNano}`)
      .sort(),
  };
}

function contract(b: Backend): void {
  const open = async (opts: { retentionMs?: number; pollIntervalMs?: number } = {}) =>
    openControlPlaneState({ store: await b.open(), closeStore: b.closeStore, ...opts });

  t.test(`${b.name}: the timeline, diagnoses and remaps survive a reopen`, async (t) => {
    const a = await open();
    t.equal(a.backend, b.name);
    t.equal(a.addObservations(reuse).added, 3);
    a.setDiagnoses('a'.repeat(32), '1'.repeat(16), [
      diagnosis('1'.repeat(16), 'upstream-pod-terminating', ns('2026-01-10T12:00:55Z')),
      diagnosis('1'.repeat(16), 'upstream-endpoint-removed', ns('2026-01-10T12:00:55Z')),
    ]);
    a.setDiagnoses('a'.repeat(32), '2'.repeat(16), [
      diagnosis('2'.repeat(16), 'upstream-pod-not-ready', ns('2026-01-10T12:00:56Z')),
    ]);
    // replaced: only the last set of a span counts
    a.setDiagnoses('a'.repeat(32), '2'.repeat(16), []);
    a.setTraceRemaps([{ from: 'b'.repeat(32), to: 'c'.repeat(32), atNanos: ns('2026-01-10T12:00:55Z') }]);
    const before = view(a);
    t.same(before.at, ['old', undefined, 'new'], 'who held the IP when');
    t.equal(before.diagnoses.length, 2);
    await a.close();
    const c = await open();
    t.teardown(() => c.close());
    t.same(view(c), before, 'the reopened state answers the same');
    const again = c.addObservations(reuse.slice(0, 1));
    t.equal(again.duplicates, 1, 're-sent observations are recognised');
    t.same(again.podKeys, ['u1'], 'and still reported as touched');
  });

  t.test(`${b.name}: every fixture and scenario derives the same after a reopen as in memory`, async (t) => {
    // each text on its own (the scenarios reuse uids for different pods)
    let spans = 0;
    for (const [i, text] of K8S_TEXTS.entries()) {
      await b.reset();
      const parsed = parseK8sText(text);
      const memoryOnly = createControlPlaneState();
      const a = await open();
      for (const cp of [memoryOnly, a]) {
        cp.addObservations(parsed.observations);
        cp.addAuditEvents(parsed.auditEvents);
      }
      const expected = derived(memoryOnly);
      spans += expected.spans.length;
      await a.close();
      const c = await open();
      t.same(derived(c), expected, `text ${i}: the same timeline and lifecycle spans`);
      await c.close();
    }
    t.ok(spans >= 20, `the comparison means something (${spans} lifecycle spans)`);
  });

  t.test(`${b.name}: expire shrinks the backend; retentionMs expires on open`, async (t) => {
    const a = await open();
    a.addObservations([
      ...reuse,
      {
        type: 'MODIFIED',
        object: pod('new', 'u2', '10.244.1.7', 4),
        arrivalNanos: ns('2026-01-10T13:00:00Z'),
      },
    ]);
    a.addAuditEvents([auditStage('audit-1', 'ResponseComplete', '2026-01-10T12:00:51Z')]);
    a.setDiagnoses('d'.repeat(32), '1'.repeat(16), [
      diagnosis('1'.repeat(16), 'upstream-pod-terminating', ns('2026-01-10T12:00:55Z')),
    ]);
    a.setDiagnoses('d'.repeat(32), '2'.repeat(16), [
      diagnosis('2'.repeat(16), 'upstream-pod-terminating', ns('2026-01-10T14:00:00Z')),
    ]);
    a.setTraceRemaps([
      { from: 'e'.repeat(32), to: 'f'.repeat(32), atNanos: ns('2026-01-10T12:00:55Z') },
      { from: '9'.repeat(32), to: '8'.repeat(32), atNanos: ns('2026-01-10T14:00:00Z') },
    ]);
    const r = a.expire(ns('2026-01-10T12:30:00Z'));
    t.equal(r.diagnoses, 1);
    t.equal(r.remaps, 1);
    t.ok(r.observations >= 3, `the deleted pod and the audit event (${r.observations})`);
    t.equal(a.pod('u1'), undefined, 'deleted before the cutoff: forgotten');
    const left = a.size();
    await a.close();
    const c = await open();
    t.same(c.size(), left, 'a reopen holds what expire left');
    t.equal(c.pod('u1'), undefined);
    t.equal(c.podAt('10.244.1.7', ns('2026-01-10T13:30:00Z'))?.name, 'new');
    await c.loadAuditStages(['audit-1']);
    t.same(c.auditStages('audit-1'), [], 'the expired audit event is gone from the backend too');
    await c.close();
    // all of it is older than an hour ago
    const d = await open({ retentionMs: 3_600_000 });
    t.teardown(() => d.close());
    t.equal(d.size().diagnoses, 0);
    t.equal(d.size().remaps, 0);
    t.equal(d.podAt('10.244.1.7', BigInt(Date.now()) * 1_000_000n)?.name, 'new', 'the live pod stays');
  });

  t.test(`${b.name}: a late audit stage joins the earlier ones read back from the backend`, async (t) => {
    const a = await open();
    a.addAuditEvents([auditStage('audit-2', 'RequestReceived', '2026-01-10T12:00:50Z')]);
    await a.close();
    const c = await open();
    t.teardown(() => c.close());
    t.same(c.auditStages('audit-2'), [], 'not held in memory after a reopen');
    await c.loadAuditStages(['audit-2']);
    const late = c.addAuditEvents([auditStage('audit-2', 'ResponseComplete', '2026-01-10T12:00:51Z')]);
    t.same(late.auditIds, ['audit-2']);
    t.same(
      c.auditStages('audit-2').map((s) => s.stage),
      ['RequestReceived', 'ResponseComplete'],
    );
    t.equal(
      c.addAuditEvents([auditStage('audit-2', 'RequestReceived', '2026-01-10T12:00:50Z')]).duplicates,
      1,
      'a stage read back is recognised when re-sent',
    );
  });

  t.test(
    `${b.name}: the stages of several audit ids are read back together, each to its own id`,
    async (t) => {
      const a = await open();
      a.addAuditEvents([
        auditStage('audit-3', 'RequestReceived', '2026-01-10T12:00:40Z'),
        auditStage('audit-4', 'RequestReceived', '2026-01-10T12:00:41Z'),
        auditStage('audit-3', 'ResponseStarted', '2026-01-10T12:00:42Z'),
      ]);
      await a.close();
      const c = await open();
      t.teardown(() => c.close());
      await c.loadAuditStages(['audit-3', 'audit-4', 'audit-3', 'audit-none']);
      t.same(
        c.auditStages('audit-3').map((s) => s.stage),
        ['RequestReceived', 'ResponseStarted'],
      );
      t.same(
        c.auditStages('audit-4').map((s) => s.stage),
        ['RequestReceived'],
      );
      t.same(c.auditStages('audit-none'), [], 'an id the backend never held reads back empty');
    },
  );
}

function sharedContract(b: Backend): void {
  t.test(`${b.name}: two states on one backend see each other's writes`, async (t) => {
    const store = await b.open();
    const a = await openControlPlaneState({ store, closeStore: b.closeStore, pollIntervalMs: 0 });
    // polling off: what reaches `c` without refresh() comes through the backend's wake-up
    const c = await openControlPlaneState({
      store: await b.open(),
      closeStore: b.closeStore,
      pollIntervalMs: 0,
    });
    t.teardown(async () => {
      await a.close();
      await c.close();
    });
    t.ok(a.shared && c.shared);
    a.addObservations(reuse);
    a.setDiagnoses('a'.repeat(32), '1'.repeat(16), [
      diagnosis('1'.repeat(16), 'upstream-pod-terminating', ns('2026-01-10T12:00:55Z')),
    ]);
    a.setTraceRemaps([{ from: 'b'.repeat(32), to: 'c'.repeat(32), atNanos: ns('2026-01-10T12:00:55Z') }]);
    await a.flush();
    await until(() => c.traceRemap('b'.repeat(32)) !== undefined, 'the wake-up');
    t.same(view(c), view(a), 'the other state holds the same timeline, diagnoses and remap');
    // the other way, a replacement included
    c.setDiagnoses('a'.repeat(32), '1'.repeat(16), []);
    c.addObservations([
      {
        type: 'MODIFIED',
        object: pod('new', 'u2', '10.244.1.7', 9),
        arrivalNanos: ns('2026-01-10T12:05:00Z'),
      },
    ]);
    await c.flush();
    await a.refresh();
    t.same(a.listDiagnoses({}), [], 'a cleared set reaches the other state');
    t.equal(a.pod('u2')?.lastSeenNanos, c.pod('u2')?.lastSeenNanos);
    t.same(view(a), view(c));
    // what one wrote before the other opened: hydrated
    const late = await openControlPlaneState({
      store: await b.open(),
      closeStore: b.closeStore,
      pollIntervalMs: 0,
    });
    t.teardown(() => late.close());
    t.same(view(late), view(a), 'a state opened later starts from the whole timeline');
  });
}

const cluster = await startPostgres();
t.teardown(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'ct-cp-contract-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// each test its own data: one memory instance, one SQLite file, one PostgreSQL database
let memory = new MemoryControlPlaneStore({ shared: true });
const memoryBackend: Backend = {
  name: 'memory',
  open: async () => memory,
  closeStore: false,
  reset: async () => {
    memory = new MemoryControlPlaneStore({ shared: true });
  },
};
let files = 0;
let sqlitePath = '';
const sqlite: Backend = {
  name: 'sqlite',
  open: async () => new SqliteControlPlaneStore(sqlitePath),
  closeStore: true,
  reset: async () => {
    sqlitePath = join(dir, `cp-${++files}.db`);
  },
};
let pgUrl = '';
const postgres: Backend = {
  name: 'postgres',
  open: () => openPostgresControlPlaneStore({ url: pgUrl }),
  closeStore: true,
  reset: async () => {
    pgUrl = await cluster.createDatabase();
  },
};
const backends = [memoryBackend, sqlite, postgres];
t.beforeEach(async (t) => {
  await backends.find((b) => t.name.startsWith(`${b.name}:`))?.reset();
});
for (const b of backends) contract(b);
sharedContract(memoryBackend);
sharedContract(postgres);

t.test('a backend that fails: flush() rejects with a retryable error, the writes stay queued', async (t) => {
  const flaky = flakyControlPlaneStore();
  flaky.failWrites = true;
  const errors: unknown[] = [];
  const cp = await openControlPlaneState({ store: flaky, onError: (e) => errors.push(e) });
  cp.addObservations(reuse);
  await t.rejects(cp.flush(), { code: 'CT_COLLECTOR_CONTROLPLANE_WRITE', statusCode: 503 });
  t.ok(errors.length >= 1, 'the background writer reported it too');
  flaky.failWrites = false;
  await cp.flush();
  await cp.close();
  const back = await openControlPlaneState({ store: flaky.inner });
  t.equal(back.allPods().length, 2, 'the queued writes reached the backend once it answered');
  await back.close();
});
