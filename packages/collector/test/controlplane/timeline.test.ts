import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Observation } from '../../src/controlplane/index.js';
import { createControlPlaneState, eventTiming, parseK8sTime } from '../../src/controlplane/index.js';
import type { EndpointSlice, EndpointSliceEndpoint } from '../../src/controlplane/k8s-types.js';

const ns = (iso: string) => parseK8sTime(iso)!;

function pod(
  name: string,
  uid: string,
  ip: string,
  extra: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid, creationTimestamp: '2026-01-10T12:00:00Z', ...meta },
    status: { podIP: ip, startTime: '2026-01-10T12:00:01Z', ...extra },
  };
}

const ready = (at: string, status = 'True') => ({
  conditions: [{ type: 'Ready', status, lastTransitionTime: at }],
});

t.test('who held an IP at a time: IPs are reused', async (t) => {
  const cp = createControlPlaneState();
  const obs: Observation[] = [
    { type: 'ADDED', object: pod('old', 'u1', '10.244.1.7', ready('2026-01-10T12:00:02Z')) },
    {
      type: 'DELETED',
      object: pod(
        'old',
        'u1',
        '10.244.1.7',
        {
          containerStatuses: [{ state: { terminated: { finishedAt: '2026-01-10T12:01:00Z' } } }],
        },
        { deletionTimestamp: '2026-01-10T12:01:20Z', deletionGracePeriodSeconds: 30 },
      ),
    },
    {
      type: 'ADDED',
      object: {
        ...pod('new', 'u2', '10.244.1.7'),
        status: { podIP: '10.244.1.7', startTime: '2026-01-10T12:02:00Z' },
      },
    },
  ];
  cp.addObservations(obs);
  t.equal(cp.podAt('10.244.1.7', ns('2026-01-10T12:00:30Z'))?.name, 'old');
  t.equal(cp.podAt('10.244.1.7', ns('2026-01-10T12:01:30Z')), undefined, 'released between the two pods');
  t.equal(cp.podAt('10.244.1.7', ns('2026-01-10T12:03:00Z'))?.name, 'new');
  t.equal(cp.podAt('10.244.1.7', ns('2026-01-10T11:00:00Z')), undefined, 'before anyone');
  t.equal(cp.podAt('10.0.0.1', ns('2026-01-10T12:03:00Z')), undefined);
  const old = cp.podsByName('shop', 'old')[0];
  t.equal(
    old.deletionStartedNanos,
    ns('2026-01-10T12:00:50Z'),
    'deletion started at deletionTimestamp − grace',
  );
  t.equal(old.deletedNanos, ns('2026-01-10T12:01:00Z'), 'gone when its containers finished');
  t.same(old.readiness, [{ ready: true, atNanos: ns('2026-01-10T12:00:02Z') }]);
  t.same(
    cp.ipHolders('10.244.1.7').map((p) => p.name),
    ['old', 'new'],
  );
});

t.test('a live DELETED watch event uses its arrival time; order of arrival does not matter', async (t) => {
  const a: Observation[] = [
    {
      type: 'MODIFIED',
      object: pod(
        'p',
        'u',
        '10.0.0.9',
        {},
        { resourceVersion: '5', deletionTimestamp: '2026-01-10T12:05:30Z', deletionGracePeriodSeconds: 30 },
      ),
    },
    { type: 'ADDED', object: pod('p', 'u', '10.0.0.9', {}, { resourceVersion: '3' }) },
    {
      type: 'DELETED',
      object: pod('p', 'u', '10.0.0.9', {}, { resourceVersion: '6' }),
      arrivalNanos: ns('2026-01-10T12:05:07.5Z'),
    },
  ];
  const x = createControlPlaneState();
  x.addObservations(a);
  const y = createControlPlaneState();
  for (const o of [...a].reverse()) y.addObservations([o]);
  t.same(x.allPods(), y.allPods());
  t.equal(x.allPods()[0].deletedNanos, ns('2026-01-10T12:05:07.5Z'));
  t.equal(x.allPods()[0].deletionStartedNanos, ns('2026-01-10T12:05:00Z'));
});

t.test('EndpointSlice membership: trigger-time annotation first, then arrival', async (t) => {
  const slice = (
    rv: string,
    trigger: string | undefined,
    endpoints: EndpointSliceEndpoint[],
  ): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'web-abc',
      namespace: 'shop',
      uid: 's1',
      resourceVersion: rv,
      annotations: trigger ? { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } : {},
    },
    endpoints,
  });
  const ep = (
    ip: string,
    name: string,
    conditions: EndpointSliceEndpoint['conditions'],
  ): EndpointSliceEndpoint => ({
    addresses: [ip],
    conditions,
    targetRef: { kind: 'Pod', name, namespace: 'shop', uid: name },
  });
  const cp = createControlPlaneState();
  cp.addObservations([
    {
      type: 'ADDED',
      object: slice('1', '2026-01-10T12:00:00.5Z', [
        ep('10.0.0.1', 'a', { ready: true }),
        ep('10.0.0.2', 'b', { ready: null }),
      ]),
    },
    {
      type: 'MODIFIED',
      object: slice('2', '2026-01-10T12:00:10.25Z', [
        ep('10.0.0.1', 'a', { ready: false, terminating: true }),
        ep('10.0.0.2', 'b', {}),
      ]),
    },
    {
      type: 'MODIFIED',
      object: slice('3', undefined, [ep('10.0.0.2', 'b', {})]),
      arrivalNanos: ns('2026-01-10T12:00:11Z'),
    },
  ]);
  const changes = cp.endpointChanges('10.0.0.1');
  t.same(
    changes.map((c) => [c.kind, c.atNanos, c.timeSource]),
    [
      ['added', ns('2026-01-10T12:00:00.5Z'), 'last-change-trigger-time'],
      ['terminating', ns('2026-01-10T12:00:10.25Z'), 'last-change-trigger-time'],
      ['removed', ns('2026-01-10T12:00:11Z'), 'arrival'],
    ],
  );
  t.same(
    cp.endpointChanges('10.0.0.2').map((c) => c.kind),
    ['added'],
    'nil ready counts as ready',
  );
  t.equal(
    cp.podAt('10.0.0.1', ns('2026-01-10T12:00:05Z'))?.name,
    'a',
    'pods known only from slices still resolve',
  );
  t.equal(cp.podAt('10.0.0.1', ns('2026-01-10T12:00:12Z')), undefined);
});

t.test('Event timing: eventTime (µs) with null first/last; core/v1 seconds; series', async (t) => {
  t.same(
    eventTiming({ eventTime: '2021-05-19T09:42:58.638469Z', firstTimestamp: null, lastTimestamp: null }),
    {
      startNanos: ns('2021-05-19T09:42:58.638469Z'),
      endNanos: ns('2021-05-19T09:42:58.638469Z'),
      precision: 'micro',
    },
  );
  t.same(
    eventTiming({
      firstTimestamp: '2021-05-19T09:42:58Z',
      lastTimestamp: '2021-05-19T09:43:01Z',
      eventTime: null,
    }),
    {
      startNanos: ns('2021-05-19T09:42:58Z'),
      endNanos: ns('2021-05-19T09:43:01Z'),
      precision: 'second',
    },
  );
  const v1 = {
    apiVersion: 'events.k8s.io/v1',
    eventTime: '2026-01-10T12:00:00.000001Z',
    series: { count: 4, lastObservedTime: '2026-01-10T12:00:09.5Z' },
  };
  t.equal(eventTiming(v1).endNanos, ns('2026-01-10T12:00:09.5Z'));
  t.same(eventTiming({}), { startNanos: undefined, endNanos: undefined, precision: 'second' });
});

t.test('SQLite persistence: the timeline, diagnoses and remaps survive a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-cp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.db');
  const a = createControlPlaneState({ path });
  const r1 = a.addObservations([
    { type: 'ADDED', object: pod('p', 'u', '10.1.1.1', ready('2026-01-10T12:00:02Z')) },
  ]);
  t.equal(r1.added, 1);
  a.setDiagnoses('t'.repeat(32), 's'.repeat(16), [
    {
      traceId: 't'.repeat(32),
      spanId: 's'.repeat(16),
      code: 'upstream-pod-not-ready',
      message: 'm',
      evidence: { lagMs: 3 },
      timeNanos: 5n,
      service: 'ingress',
    },
  ]);
  a.setTraceRemap('a'.repeat(32), 'b'.repeat(32));
  await a.close();
  const b = createControlPlaneState({ path });
  t.equal(b.podAt('10.1.1.1', ns('2026-01-10T12:00:30Z'))?.name, 'p');
  t.equal(b.listDiagnoses({})[0].evidence.lagMs, 3);
  t.equal(b.traceRemap('a'.repeat(32)), 'b'.repeat(32));
  const again = b.addObservations([
    { type: 'ADDED', object: pod('p', 'u', '10.1.1.1', ready('2026-01-10T12:00:02Z')) },
  ]);
  t.equal(again.duplicates, 1, 're-sent observations are recognised');
  t.same(again.podKeys, ['u'], 'and still reported as touched');
  await b.close();
});

t.test(
  'a pod first seen after it started, without startTime, holds its IP from its Ready time',
  async (t) => {
    const cp = createControlPlaneState();
    const arrival = ns('2026-01-10T12:30:00Z');
    const object = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'late', namespace: 'shop', uid: 'u-late', creationTimestamp: '2026-01-10T12:00:00Z' },
      status: {
        podIP: '10.244.9.9',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-10T12:00:00Z' },
          { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-10T12:00:07Z' },
        ],
        containerStatuses: [{ name: 'web', state: { running: { startedAt: '2026-01-10T12:00:05Z' } } }],
      },
    };
    cp.addObservations([{ type: 'ADDED', object, arrivalNanos: arrival }]);
    t.equal(
      cp.pod('u-late')?.ipFromNanos,
      ns('2026-01-10T12:00:05Z'),
      'the earliest running time it vouches for',
    );
    t.equal(cp.podAt('10.244.9.9', ns('2026-01-10T12:10:00Z'))?.name, 'late', 'before the watch saw it');
    t.equal(cp.podAt('10.244.9.9', ns('2026-01-10T12:00:01Z')), undefined, 'not before it ran');
    const notReady = createControlPlaneState();
    notReady.addObservations([
      {
        type: 'ADDED',
        object: { ...object, metadata: { ...object.metadata, uid: 'u-nr' }, status: { podIP: '10.244.9.8' } },
        arrivalNanos: arrival,
      },
    ]);
    t.equal(notReady.pod('u-nr')?.ipFromNanos, arrival, 'nothing vouched: from the sighting');
  },
);
