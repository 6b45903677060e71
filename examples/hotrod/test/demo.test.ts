// The live demo end to end: real nginx, the services as processes, the rollout, the bridge, the
// collector — then everything the issue asks, through the collector's API.
import t from 'tap';
import { runDemo } from '../src/demo/demo.js';
import { findNginx } from '../src/demo/ingress-nginx.js';
import {
  assertDispatchTrace,
  assertFindTrace,
  assertMtls,
  assertRedisRetries,
  assertRolloutDiagnosis,
  assertRolloutTrace,
} from './helpers/demo-assertions.js';
import { getJson } from './helpers/jaeger.js';
import { portFreeOn } from './helpers/ports.js';

t.test(
  'pnpm demo: HotROD behind nginx through a rollout, in one trace per request',
  { skip: !findNginx() && 'nginx is not installed' },
  async (t) => {
    const frontendPods = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const demo = await runDemo({
      queryPort: 0,
      otlpPort: 0,
      ingressPort: await portFreeOn(['127.0.0.1']),
      ingressTlsPort: await portFreeOn(['127.0.0.1']),
      frontendPort: await portFreeOn(frontendPods),
      customerPort: await portFreeOn(['127.0.1.2']),
      driverPort: await portFreeOn(['127.0.1.3']),
      routePort: await portFreeOn(['127.0.1.4']),
      users: 3,
      warmupMs: 2500,
      cooldownMs: 1500,
      ingressSyncLagMs: 2500,
      probePeriodMs: 500,
      progress: false,
    });
    t.teardown(() => demo.stop());
    const query = demo.urls.query;
    const r = demo.report;

    // the report
    // a request that got no answer at all (status 0) may never have reached nginx
    const answered = demo.load.filter((x) => x.status > 0).length;
    t.equal(
      r.requests,
      answered,
      `every request nginx answered is an ingress span (${demo.load.length - answered} got no answer)`,
    );
    t.equal(
      r.errors5xx,
      demo.load.filter((x) => x.status >= 500).length,
      'the 5xx count is what the browsers got',
    );
    t.ok(r.failedAttempts >= 1, `${r.failedAttempts} upstream attempts failed during the rollout`);
    t.ok(r.slowest && r.rollout502 && r.rolloutTrace && r.findTrace, 'the report has its four links');
    t.match(r.slowest?.url ?? '', new RegExp(`^${query}/trace/[0-9a-f]{32}$`));
    t.match(r.rollout502?.url ?? '', new RegExp(`^${query}/trace/[0-9a-f]{32}\\?uiFind=[0-9a-f]{16}$`));

    // a /dispatch trace: every layer of the app under the ingress, in the right parentage
    const ok = demo.load.filter((x) => x.path === '/dispatch' && x.status === 200 && x.traceId && x.driver);
    t.ok(ok.length >= 3, `${ok.length} dispatches answered`);
    const sample = ok[ok.length - 1];
    const { driver } = await assertDispatchTrace(t, query, sample.traceId!);
    t.equal(driver, sample.driver, 'the trace names the driver the browser was told');
    await assertFindTrace(t, query, sample.driver!, sample.traceId!);
    await assertDispatchTrace(t, query, r.slowest!.traceId);

    // contention: some request waited for the mysql lock
    const waited = await getJson<{ data: unknown[] }>(
      `${query}/api/traces?service=mysql&lookback=1h&limit=200`,
    );
    t.ok(
      JSON.stringify(waited.data).includes('Waiting for lock behind'),
      'some SQL SELECT waited for the lock behind other transactions',
    );

    // the rollout: failed attempts to the old pods, explained
    const diagnosed = await assertRolloutDiagnosis(t, query, 0, demo.rollout.oldPods);
    t.ok(diagnosed.length > 0);
    await assertRolloutTrace(t, query, r.rolloutTrace!.traceId, demo.rollout.newReplicaSet);
    await assertRedisRetries(t, query);
    await assertMtls(t, query);
  },
);
