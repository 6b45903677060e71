// Control-plane state follows the span retention: what only concerns times before the oldest
// stored span is forgotten, in memory and in its SQLite tables, and start-up replays only what
// retention left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { ControlPlaneState, Observation, StoredDiagnosis } from '../../src/controlplane/index.js';
import { createControlPlaneState, formatNanos, parseK8sTime } from '../../src/controlplane/index.js';
import { podObject } from '../helpers/pod-object.js';

const ns = (iso: string) => parseK8sTime(iso)!;
const iso = (n: bigint) => formatNanos(n);
const H = 3_600_000_000_000n;

const pod = podObject.bind(undefined, {
  createdAt: '2026-01-10T10:00:00Z',
  startedAt: '2026-01-10T10:00:01Z',
});

/** A day of churn: a pod deleted early, a live pod with many updates, Events and audit events. */
function churn(): { obs: Observation[]; audit: Record<string, unknown>[] } {
  const obs: Observation[] = [
    { type: 'ADDED', object: pod('gone', 'u-gone', '10.0.0.1', 1) },
    {
      type: 'DELETED',
      object: pod('gone', 'u-gone', '10.0.0.1', 2),
      arrivalNanos: ns('2026-01-10T11:00:00Z'),
    },
  ];
  for (let h = 0; h < 20; h++) {
    const at = ns('2026-01-10T10:00:00Z') + BigInt(h) * H;
    obs.push({
      type: 'MODIFIED',
      object: pod('live', 'u-live', '10.0.0.2', 10 + h, {
        conditions: [{ type: 'Ready', status: h % 2 === 0 ? 'True' : 'False', lastTransitionTime: iso(at) }],
      }),
      arrivalNanos: at,
    });
    obs.push({
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `e${h}`, namespace: 'shop', uid: `ev-${h}` },
        involvedObject: { kind: 'Pod', name: 'live', namespace: 'shop' },
        reason: 'Pulled',
        firstTimestamp: iso(at),
        lastTimestamp: iso(at),
      },
    });
  }
  const audit = [0, 19].map((h) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `00000000-0000-4000-8000-00000000000${h === 0 ? 1 : 2}`,
    stage: 'ResponseComplete',
    requestReceivedTimestamp: iso(ns('2026-01-10T10:00:00Z') + BigInt(h) * H),
    stageTimestamp: iso(ns('2026-01-10T10:00:00Z') + BigInt(h) * H + 1000n),
  }));
  return { obs, audit };
}

function diagnosis(at: bigint, span: string): StoredDiagnosis {
  return {
    traceId: 'a'.repeat(32),
    spanId: span,
    code: 'upstream-pod-not-ready',
    message: 'm',
    evidence: {},
    timeNanos: at,
    service: 'ingress',
  };
}

function fill(cp: ControlPlaneState): void {
  const { obs, audit } = churn();
  cp.addObservations(obs);
  cp.addAuditEvents(audit);
  cp.setDiagnoses('a'.repeat(32), '1'.repeat(16), [diagnosis(ns('2026-01-10T10:30:00Z'), '1'.repeat(16))]);
  cp.setDiagnoses('a'.repeat(32), '2'.repeat(16), [diagnosis(ns('2026-01-11T05:00:00Z'), '2'.repeat(16))]);
  cp.setTraceRemaps([
    { from: 'b'.repeat(32), to: 'c'.repeat(32), atNanos: ns('2026-01-10T10:30:00Z') },
    { from: 'd'.repeat(32), to: 'e'.repeat(32), atNanos: ns('2026-01-11T05:00:00Z') },
  ]);
}

const CUTOFF = '2026-01-11T00:00:00Z';

t.test(
  'expire forgets what only concerns times before the cutoff; what remains answers the same after it',
  async (t) => {
    const cp = createControlPlaneState();
    fill(cp);
    const after = ns('2026-01-11T04:30:00Z');
    const before = {
      live: cp.podAt('10.0.0.2', after)?.name,
      readiness: cp.pod('u-live')!.readiness.filter((r) => r.atNanos >= ns(CUTOFF)),
      size: cp.size(),
    };
    t.equal(before.size.observations, 2 + 20 + 20 + 2);
    const r = cp.expire(ns(CUTOFF));
    // the deleted pod (2), 13 superseded versions of the live one, 14 Events, 1 audit id
    t.equal(r.observations, 30);
    t.equal(r.diagnoses, 1);
    t.equal(r.remaps, 1);
    t.equal(cp.pod('u-gone'), undefined, 'a pod deleted before the cutoff is forgotten');
    t.equal(cp.podsByName('shop', 'gone').length, 0);
    t.equal(cp.podAt('10.0.0.2', after)?.name, before.live, 'the live pod still holds its IP');
    t.same(
      cp.pod('u-live')!.readiness.filter((x) => x.atNanos >= ns(CUTOFF)),
      before.readiness,
      'readiness after the cutoff unchanged',
    );
    t.equal(cp.allEvents().length, 6, 'Events that ended before the cutoff are forgotten (19h..24h kept)');
    t.same(cp.auditStages('00000000-0000-4000-8000-000000000001'), []);
    t.equal(cp.auditStages('00000000-0000-4000-8000-000000000002').length, 1);
    t.equal(cp.listDiagnoses({}).length, 1);
    t.equal(cp.traceRemap('b'.repeat(32)), undefined);
    t.equal(cp.traceRemap('d'.repeat(32)), 'e'.repeat(32));
    t.same(cp.expire(ns(CUTOFF)), { observations: 0, diagnoses: 0, remaps: 0 }, 'idempotent');
    const again = cp.addObservations(churn().obs.slice(-2));
    t.equal(again.duplicates, 2, 'kept observations are still recognised when re-sent');
  },
);

t.test(
  'persisted: the tables shrink, a reopen replays only what is left; retentionMs expires on open',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-cp-ret-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'state.db');
    const a = createControlPlaneState({ path });
    fill(a);
    const rows = (table: string) => {
      const db = new Database(path, { readonly: true });
      const n = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      db.close();
      return n;
    };
    await a.flush();
    t.equal(rows('ct_cp_observations'), 44, 'flushed: every observation is in the file');
    a.expire(ns(CUTOFF));
    const left = a.size();
    await a.close();
    t.equal(rows('ct_cp_observations'), left.observations, 'rows deleted with the memory');
    t.equal(rows('ct_cp_diagnoses'), 1);
    t.equal(rows('ct_cp_trace_remap'), 1);
    const b = createControlPlaneState({ path });
    t.same(
      b.size(),
      { ...left, observations: left.observations - 1 },
      'a reopen replays what was left, but audit stages (read back when asked)',
    );
    t.equal(b.auditStages('00000000-0000-4000-8000-000000000002').length, 0, 'not held in memory');
    await b.loadAuditStages(['00000000-0000-4000-8000-000000000002']);
    t.equal(b.auditStages('00000000-0000-4000-8000-000000000002').length, 1, 'read back');
    t.equal(b.podAt('10.0.0.2', ns('2026-01-11T04:30:00Z'))?.name, 'live');
    await b.close();

    const path2 = join(dir, 'state2.db');
    const c = createControlPlaneState({ path: path2 });
    fill(c);
    await c.close();
    // the whole day is older than one hour ago: opening with a retention forgets it first
    const d = createControlPlaneState({ path: path2, retentionMs: 3_600_000 });
    t.teardown(() => d.close());
    t.equal(d.size().diagnoses, 0);
    t.equal(d.size().remaps, 0);
    t.ok(d.size().observations <= 2, `only the live pod's last version is left (${d.size().observations})`);
    t.equal(d.pod('u-gone'), undefined);
  },
);

t.test('files from before retention get their columns', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-cp-old-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'old.db');
  const db = new Database(path);
  db.exec(`CREATE TABLE ct_cp_observations (id TEXT PRIMARY KEY, type TEXT NOT NULL, arrival_ns TEXT, body TEXT NOT NULL);
    CREATE TABLE ct_cp_trace_remap (from_trace TEXT PRIMARY KEY, to_trace TEXT NOT NULL);`);
  db.prepare('INSERT INTO ct_cp_observations VALUES (?, ?, ?, ?)').run(
    'x',
    'ADDED',
    null,
    JSON.stringify(pod('old', 'u-old', '10.9.9.9', 1)),
  );
  db.prepare('INSERT INTO ct_cp_trace_remap VALUES (?, ?)').run('f'.repeat(32), '0'.repeat(32));
  db.close();
  const cp = createControlPlaneState({ path });
  t.equal(cp.pod('u-old')?.name, 'old');
  t.equal(cp.traceRemap('f'.repeat(32)), '0'.repeat(32), 'an undated remap counts from now');
  t.equal(cp.expire(BigInt(Date.now() - 60_000) * 1_000_000n).remaps, 0);
  await cp.close();
  const check = new Database(path, { readonly: true });
  t.same(check.prepare('SELECT kind, obj_key FROM ct_cp_observations').get(), {
    kind: 'Pod',
    obj_key: 'u-old',
  });
  check.close();
});

t.test('audit stages: a bounded cache in memory, the table behind it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-cp-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cp = createControlPlaneState({ path: join(dir, 'a.db') });
  t.teardown(() => cp.close());
  const stage = (i: number, name: string) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `id-${i}`,
    stage: name,
    requestReceivedTimestamp: '2026-01-10T12:00:00Z',
    stageTimestamp: name === 'RequestReceived' ? '2026-01-10T12:00:00Z' : '2026-01-10T12:00:01Z',
  });
  const n = 25_000;
  for (let i = 0; i < n; i += 5000)
    cp.addAuditEvents(Array.from({ length: 5000 }, (_, k) => stage(i + k, 'RequestReceived')));
  t.ok(cp.size().observations <= 10_000, `memory holds the recent ids only (${cp.size().observations})`);
  await cp.flush();
  await cp.loadAuditStages(['id-0']);
  const late = cp.addAuditEvents([stage(0, 'ResponseComplete')]);
  t.same(late.auditIds, ['id-0']);
  t.same(
    cp.auditStages('id-0').map((s) => s.stage),
    ['RequestReceived', 'ResponseComplete'],
    'the first stage of an evicted id is read back for its late one',
  );
  await cp.loadAuditStages(['id-1']);
  t.equal(
    cp.addAuditEvents([stage(1, 'RequestReceived')]).duplicates,
    1,
    'duplicates recognised after eviction',
  );
});
