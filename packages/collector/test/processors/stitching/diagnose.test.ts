import t from 'tap';
import { createControlPlaneState, parseK8sTime } from '../../../src/controlplane/index.js';
import { DiagnosisCode, diagnoseAttempt } from '../../../src/processors/stitching/index.js';

const ns = (iso: string) => parseK8sTime(iso)!;

function state() {
  const cp = createControlPlaneState();
  cp.addObservations([
    {
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', creationTimestamp: '2026-01-10T12:00:00Z' },
        status: {
          podIP: '10.0.0.5',
          startTime: '2026-01-10T12:00:00Z',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-10T12:00:10Z' }],
        },
      },
    },
    {
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'ing.1', namespace: 'ingress-nginx', uid: 'ev-reload' },
        involvedObject: { kind: 'Pod', name: 'ingress-nginx-controller-abc', namespace: 'ingress-nginx' },
        reason: 'RELOAD',
        message: 'NGINX reload triggered due to a change in configuration',
        source: { component: 'nginx-ingress-controller' },
        firstTimestamp: '2026-01-10T12:05:00Z',
        lastTimestamp: '2026-01-10T12:05:00Z',
        type: 'Normal',
      },
    },
  ]);
  return cp;
}

t.test('not ready yet: the attempt came before the pod turned ready', async (t) => {
  const cp = state();
  const at = ns('2026-01-10T12:00:05Z');
  const d = diagnoseAttempt(
    cp,
    { address: '10.0.0.5', startNanos: at, endNanos: at + 1_000_000n },
    cp.podAt('10.0.0.5', at),
  );
  t.same(
    d.map((x) => x.code),
    [DiagnosisCode.PodNotReady],
  );
  t.equal(d[0].evidence.readyAt, '2026-01-10T12:00:10.000000Z');
  t.equal(d[0].evidence.pod, 'shop/web-1');
});

t.test('a healthy pod gives no diagnosis; an ingress reload in the window does', async (t) => {
  const cp = state();
  const ok = ns('2026-01-10T12:01:00Z');
  t.same(
    diagnoseAttempt(
      cp,
      { address: '10.0.0.5', startNanos: ok, endNanos: ok + 1_000_000n },
      cp.podAt('10.0.0.5', ok),
    ),
    [],
  );
  const at = ns('2026-01-10T12:04:59.5Z');
  const d = diagnoseAttempt(
    cp,
    { address: '10.0.0.5', startNanos: at, endNanos: at + 1_000_000n },
    cp.podAt('10.0.0.5', at),
  );
  t.same(
    d.map((x) => x.code),
    [DiagnosisCode.IngressReload],
  );
  t.equal(d[0].evidence.controllerPod, 'ingress-nginx/ingress-nginx-controller-abc');
  const late = ns('2026-01-10T12:05:10Z');
  t.same(
    diagnoseAttempt(
      cp,
      { address: '10.0.0.5', startNanos: late, endNanos: late + 1_000_000n },
      cp.podAt('10.0.0.5', late),
    ),
    [],
  );
});

t.test('an address nobody ever held is not diagnosed (no evidence, no claim)', async (t) => {
  const cp = state();
  const at = ns('2026-01-10T12:01:00Z');
  t.same(diagnoseAttempt(cp, { address: '192.168.9.9', startNanos: at, endNanos: at }, undefined), []);
  const before = ns('2026-01-10T11:59:00Z');
  const d = diagnoseAttempt(
    cp,
    { address: '10.0.0.5', startNanos: before, endNanos: before },
    cp.podAt('10.0.0.5', before),
  );
  t.same(
    d.map((x) => x.code),
    [DiagnosisCode.IpUnassigned],
    'a known address before its first holder',
  );
});
