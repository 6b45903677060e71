// Kubernetes data with times no span can carry (year 9999, before 1970, a grace period that is not
// a number or pushes the deletion before the epoch) is answered 200 and stored as far as it can be,
// over the real collector and its SQLite store: never a 5xx a sender would retry forever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseK8sTime } from '../../../src/controlplane/index.js';
import { build } from '../../../src/index.js';
import { MAX_TIME_NANOS } from '../../../src/model/span.js';

t.test('parseK8sTime keeps only what a span can carry', async (t) => {
  t.equal(parseK8sTime('1970-01-01T00:00:00Z'), 0n);
  t.equal(parseK8sTime('2262-04-11T23:47:16.854775807Z'), MAX_TIME_NANOS);
  t.equal(parseK8sTime('2262-04-11T23:47:16.854775808Z'), undefined);
  t.equal(parseK8sTime('9999-12-31T23:59:59Z'), undefined);
  t.equal(parseK8sTime('1969-12-31T23:59:59Z'), undefined);
});

t.test('/k8s/audit and /k8s/objects with out-of-range times: 200, the rest stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-k8s-range-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = await build({ storage: `sqlite:${join(dir, 'k.db')}`, logLevel: 'silent', otlpGrpcPort: -1 });
  t.teardown(() => c.close());
  const audit = (id: string, received: string, stage: string) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: id,
    stage: 'ResponseComplete',
    verb: 'get',
    requestURI: '/api/v1/pods',
    requestReceivedTimestamp: received,
    stageTimestamp: stage,
  });
  const res = await c.otlpHttp.inject({
    method: 'POST',
    url: '/k8s/audit',
    headers: { 'content-type': 'application/json' },
    payload: {
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [
        audit('11111111-1111-4111-8111-111111111111', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'),
        audit('22222222-2222-4222-8222-222222222222', '2026-01-10T12:00:00Z', '2026-01-10T12:00:01Z'),
      ],
    },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().accepted.auditEvents, 2);
  t.equal(res.json().spans, 1, 'the audit id with no usable time makes no span');
  t.equal((await c.store.getTrace('22222222222242228222222222222222')).length, 1);

  const pod = (grace: unknown) =>
    JSON.stringify({
      type: 'MODIFIED',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `web-${String(grace).length}`,
          namespace: 'shop',
          uid: `u-${String(grace)}`,
          resourceVersion: '7',
          creationTimestamp: '2026-01-10T11:00:00Z',
          deletionTimestamp: '2026-01-10T12:00:00Z',
          deletionGracePeriodSeconds: grace,
        },
        status: { podIP: '10.1.2.3', startTime: '2026-01-10T11:00:01Z' },
      },
    });
  for (const grace of ['30', 1e300, -5, Number.MAX_SAFE_INTEGER]) {
    const r = await c.otlpHttp.inject({
      method: 'POST',
      url: '/k8s/objects?arrival=none',
      headers: { 'content-type': 'application/json' },
      payload: pod(grace),
    });
    t.equal(r.statusCode, 200, `grace ${String(grace)}: 200`);
    t.ok(r.json().spans > 0, `grace ${String(grace)}: the pod's spans stored`);
  }
});
