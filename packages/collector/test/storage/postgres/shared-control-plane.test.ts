// Two gateways on one PostgreSQL share one control-plane state: the Kubernetes data of a rollout
// reaches only one of them, the spans of its 502s only the other, and both answer the diagnoses,
// pods and pod-page routes alike — as one collector would. A gateway started afterwards (a restart)
// reads the timeline back from the database.
import t from 'tap';
import { loadScenarios, predictedDiagnoses, runOrder, toSpan, units } from '../../../eval/scenario.js';
import { build, type Collector } from '../../../src/index.js';
import { startPostgres } from '../../helpers/postgres.js';

const sc = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;
const OLD_POD = 'web-5d567cc74c-ss4lb';

const cluster = await startPostgres();
t.teardown(() => cluster.stop());

async function gateway(url: string): Promise<Collector> {
  const c = await build({
    storage: url,
    stitchingIndexSpans: 0,
    otlpGrpcPort: -1,
    ui: false,
    logLevel: 'silent',
  });
  t.teardown(() => c.close());
  return c;
}

const ROUTES = [
  '/api/crosstrace/diagnoses',
  '/api/crosstrace/diagnoses?code=upstream-pod-terminating,upstream-endpoint-removed',
  '/api/crosstrace/pods',
  `/api/crosstrace/pods/shop/${OLD_POD}/requests`,
];

async function answers(c: Collector): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const url of ROUTES) {
    const res = await c.query.inject(url);
    out[url] = { status: res.statusCode, body: res.json() };
  }
  return out;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test(
  'control-plane data at one gateway, spans at the other: one timeline, one set of diagnoses',
  async (t) => {
    const url = await cluster.createDatabase();
    const a = await gateway(url);
    const b = await gateway(url);
    t.equal(a.controlPlane.backend, 'postgres');
    t.ok(b.controlPlane.shared);

    for (const text of sc.k8s) {
      const res = await a.otlpHttp.inject({
        method: 'POST',
        url: '/k8s/objects?arrival=none',
        payload: text,
        headers: { 'content-type': 'application/json' },
      });
      t.equal(res.statusCode, 200, res.body);
      t.equal(
        res.headers['crosstrace-timeline'],
        undefined,
        'a shared timeline never begins empty with a process',
      );
    }
    // b was told nothing: its view follows the shared tables (LISTEN/NOTIFY, else the poll)
    await until(() => b.controlPlane.podsByName('shop', OLD_POD).length > 0, 'b to learn the pod');
    t.ok(a.controlPlane.allPods().length >= 3, 'the rollout has pods');
  t.same(b.controlPlane.allPods(), a.controlPlane.allPods(), 'one pod-IP timeline');

    await b.pipeline.consume({ spans: sc.ingress.map(toSpan), receiver: 'ingress' });
    await b.pipeline.consume({ spans: sc.app.map(toSpan), receiver: 'app' });
    await b.writer.drain();
    await b.controlPlane.flush();

    const fromA = await answers(a);
    const fromB = await answers(b);
    for (const url of ROUTES) t.same(fromA[url], fromB[url], `${url}: both gateways answer alike`);
    const diagnoses = (fromA[ROUTES[0]] as { body: { data: { spanID: string; code: string }[] } }).body.data;
    const codes = new Set(diagnoses.map((d) => d.code));
    t.ok(codes.has('upstream-pod-terminating'), 'the 502 is explained by the terminating pod');
      const one = await runOrder(units(sc));
    t.same(
      new Set(diagnoses.map((d) => `${d.spanID}>${d.code}`)),
      predictedDiagnoses(one),
      'the same diagnoses as one collector holding everything',
    );
    const page = (fromA[ROUTES[3]] as { status: number; body: { data: { diagnoses: string[] }[] } }).body;
    t.ok(
      page.data.some((r) => r.diagnoses.includes('upstream-pod-terminating')),
      'the pod page lists the diagnosed attempt',
    );

    // a gateway (re)started on the database reads the timeline and the diagnoses back
    const restarted = await gateway(url);
    t.same(restarted.controlPlane.allPods(), a.controlPlane.allPods(), 'the timeline read back');
    t.same(await answers(restarted), fromA, 'and answers as the others');

    // b closes and starts again: nothing it knew was only in its memory
    await b.close();
    const b2 = await gateway(url);
    t.same(await answers(b2), fromA);
  },
);
