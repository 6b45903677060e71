import Fastify from 'fastify';
import t from 'tap';
import { loadScenarios, runOrder, units } from '../../../eval/scenario.js';
import { openControlPlaneState } from '../../../src/controlplane/index.js';
import { registerCrosstraceRoutes } from '../../../src/query/crosstrace/index.js';
import { createMemoryStore } from '../../../src/storage/index.js';
import { flakyControlPlaneStore } from '../../helpers/flaky-control-plane-store.js';

const sc = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;

t.test('GET /api/crosstrace/diagnoses and /pods/:ns/:name/requests', async (t) => {
  const { store, controlPlane } = await runOrder(units(sc));
  const app = Fastify();
  registerCrosstraceRoutes(app, { store, controlPlane });
  t.teardown(() => app.close());
  let res = await app.inject('/api/crosstrace/diagnoses');
  t.equal(res.statusCode, 200);
  const all = res.json().data as {
    traceID: string;
    spanID: string;
    code: string;
    message: string;
    evidence: Record<string, unknown>;
    time: number;
  }[];
  t.equal(all.length, sc.truth.diagnoses.length);
  t.ok(all.every((d) => d.traceID.length === 32 && d.spanID.length === 16 && d.message && d.evidence));
  const cut = all[Math.floor(all.length / 2)].time;
  res = await app.inject(`/api/crosstrace/diagnoses?since=${cut}`);
  t.ok(res.json().data.every((d: { time: number }) => d.time >= cut));
  t.ok(res.json().data.length < all.length);
  res = await app.inject('/api/crosstrace/diagnoses?service=ingress-nginx&limit=3');
  t.equal(res.json().data.length, 3);
  res = await app.inject('/api/crosstrace/diagnoses?service=nobody');
  t.same(res.json().data, []);
  res = await app.inject('/api/crosstrace/diagnoses?since=yesterday');
  t.equal(res.statusCode, 400);

  res = await app.inject('/api/crosstrace/pods/shop/web-5d567cc74c-ss4lb/requests');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.pod.ips[0], '10.244.1.7');
  t.equal(body.pod.deletionStartedAt, '2026-01-10T12:00:05.000000Z');
  const attempts = body.data.filter((r: { kind: string }) => r.kind === 'upstream-attempt');
  const failed = attempts.filter((r: { statusCode: number }) => r.statusCode === 502);
  t.ok(failed.length > 0, 'the 502s the termination caused');
  t.ok(failed.every((r: { diagnoses: string[] }) => r.diagnoses.includes('upstream-pod-terminating')));
  t.ok(
    attempts.some((r: { statusCode: number }) => r.statusCode === 200),
    'and the requests it served before',
  );
  const reused = await app.inject('/api/crosstrace/pods/shop/web-7df978b9bf-h8p4t/requests');
  const reusedAttempts = reused.json().data.filter((r: { kind: string }) => r.kind === 'upstream-attempt');
  t.ok(
    reusedAttempts.length > 0 && reusedAttempts.every((r: { statusCode: number }) => r.statusCode === 200),
    'the IP’s next holder only gets its own requests',
  );
  res = await app.inject('/api/crosstrace/pods/shop/nobody/requests');
  t.equal(res.statusCode, 404);
});

t.test(
  'a shared control-plane backend that cannot be read: 503 with Retry-After, never stale answers',
  async (t) => {
    const store = flakyControlPlaneStore({ shared: true });
    const controlPlane = await openControlPlaneState({ store, pollIntervalMs: 0 });
    t.teardown(() => controlPlane.close());
    const app = Fastify();
    registerCrosstraceRoutes(app, { store: createMemoryStore(), controlPlane });
    t.teardown(() => app.close());
    t.equal((await app.inject('/api/crosstrace/pods')).statusCode, 200);
    store.failReads = true;
    for (const url of [
      '/api/crosstrace/diagnoses',
      '/api/crosstrace/pods',
      '/api/crosstrace/pods/shop/x/requests',
    ]) {
      const res = await app.inject(url);
      t.equal(res.statusCode, 503, url);
      t.equal(res.headers['retry-after'], '1');
      t.equal(res.json().errors[0].code, 503);
    }
  },
);
