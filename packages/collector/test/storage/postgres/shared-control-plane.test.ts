// Two gateways on one PostgreSQL share one control-plane state: the Kubernetes data of a rollout
// reaches only one of them, the spans of its 502s only the other, and both answer the diagnoses,
// pods and pod-page routes alike — as one collector would. A gateway started afterwards (a restart)
// reads the timeline back from the database.
import t from 'tap';
import { predictedDiagnoses, runOrder, units } from '../../../eval/scenario.js';
import { build, type Collector } from '../../../src/index.js';
import { startCli } from '../../helpers/cli.js';
import {
  crosstraceAnswers as answers,
  OLD_POD,
  postRolloutK8s,
  CROSSTRACE_ROUTES as ROUTES,
  ROLLOUT as sc,
  sendRolloutSpans,
} from '../../helpers/crosstrace-answers.js';
import { startPostgres } from '../../helpers/postgres.js';

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

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
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

    t.same(await postRolloutK8s(a), [200, 200], 'the control-plane data goes to a only');
    // b was told nothing: its view follows the shared tables (LISTEN/NOTIFY, else the poll)
    const gone = () => b.controlPlane.podsByName('shop', OLD_POD)[0]?.deletedNanos !== undefined;
    await until(gone, 'b to learn that the old pod is gone');
    // and whatever a wake-up has not brought yet
    await b.controlPlane.refresh();
    t.ok(a.controlPlane.allPods().length >= 3, 'the rollout has pods');
    t.same(b.controlPlane.allPods(), a.controlPlane.allPods(), 'one pod-IP timeline');

    await sendRolloutSpans(b);

    const fromA = await answers(a);
    const fromB = await answers(b);
    for (const url of ROUTES) t.same(fromA[url], fromB[url], `${url}: both gateways answer alike`);
    const diagnoses = (fromA[ROUTES[0]].body as { data: { spanID: string; code: string }[] }).data;
    const codes = new Set(diagnoses.map((d) => d.code));
    t.ok(codes.has('upstream-pod-terminating'), 'the 502 is explained by the terminating pod');
    const one = await runOrder(units(sc));
    t.same(
      new Set(diagnoses.map((d) => `${d.spanID}>${d.code}`)),
      predictedDiagnoses(one),
      'the same diagnoses as one collector holding everything',
    );
    const page = fromA[ROUTES[3]].body as { data: { diagnoses: string[] }[] };
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

t.test(
  'kill -9 of a gateway: the control-plane data it acknowledged is read back by the next one',
  async (t) => {
    const url = await cluster.createDatabase();
    const args = ['--storage', url, '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--query-port', '0'];
    args.push('--no-ui', '--log-level', 'silent');
    const first = await startCli(args);
    for (const text of sc.k8s) {
      const res = await fetch(`http://127.0.0.1:${first.ports.otlpHttp}/k8s/objects?arrival=none`, {
        method: 'POST',
        body: text,
      });
      t.equal(res.status, 200, 'acknowledged');
    }
    first.child.kill('SIGKILL');
    t.equal((await first.exited).signal, 'SIGKILL');
    const second = await startCli(args);
    t.teardown(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const pods = async (port: number) =>
      (await (await fetch(`http://127.0.0.1:${port}/api/crosstrace/pods`)).json()) as {
        data: { name: string; deletionStartedAt?: string }[];
      };
    const after = await pods(second.ports.query);
    const one = await runOrder(units(sc));
    t.same(
      after.data.map((p) => p.name),
      one.controlPlane
        .allPods()
        .map((p) => p.name)
        .sort(),
      'every pod of the rollout',
    );
    t.ok(after.data.find((p) => p.name === OLD_POD)?.deletionStartedAt, "with the old pod's deletion");
  },
);
