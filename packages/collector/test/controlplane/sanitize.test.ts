import t from 'tap';
import { createControlPlaneState } from '../../src/controlplane/index.js';
import type { K8sObject } from '../../src/controlplane/k8s-types.js';
import { sanitizeObject } from '../../src/controlplane/sanitize.js';

t.test('fields of another type than Kubernetes gives them are dropped; the rest is kept', async (t) => {
  const pod = sanitizeObject({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 7, namespace: 'shop', labels: { a: 'b', n: 1 }, deletionGracePeriodSeconds: Infinity },
    spec: { nodeName: 'n1', extra: { kept: true } },
    status: {
      podIP: '10.0.0.1',
      conditions: { doubleValue: '-Infinity' },
      podIPs: [{ ip: '10.0.0.1' }, 'x', { ip: 5 }],
      containerStatuses: [{ name: 'c', state: { running: { startedAt: 12 } } }],
    },
  } as unknown as K8sObject);
  t.same(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'shop', labels: { a: 'b' } },
    spec: { nodeName: 'n1', extra: { kept: true } },
    status: {
      podIP: '10.0.0.1',
      podIPs: [{ ip: '10.0.0.1' }, {}],
      containerStatuses: [{ name: 'c', state: { running: {} } }],
    },
  });
  const slice = sanitizeObject({
    kind: 'EndpointSlice',
    metadata: { name: 's' },
    endpoints: [{ addresses: ['10.0.0.1', null], conditions: { ready: 'yes' }, targetRef: 'pod' }],
  } as unknown as K8sObject);
  t.same(slice, {
    kind: 'EndpointSlice',
    metadata: { name: 's' },
    endpoints: [{ addresses: ['10.0.0.1'], conditions: {} }],
  });
});

t.test('the state takes such objects without failing, as if the bad fields were absent', async (t) => {
  const cp = createControlPlaneState();
  const r = cp.addObservations([
    {
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'shop', uid: 'u', deletionTimestamp: 5, ownerReferences: 'rs' },
        status: { podIP: '10.0.0.9', conditions: 1, containerStatuses: [null] },
      } as unknown as K8sObject,
    },
    {
      type: 'ADDED',
      object: { kind: 'Event', metadata: { name: 'e' }, involvedObject: [], series: 'x' } as K8sObject,
    },
  ]);
  t.same(r.podKeys, ['u']);
  t.equal(cp.pod('u')?.ips[0], '10.0.0.9');
});
