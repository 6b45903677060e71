// The crosstrace routes on every backend: a collector on SQLite and one on PostgreSQL (spans and
// control-plane state there) answer the diagnoses, pods and pod-page routes of a rollout exactly as
// a collector in memory does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { build } from '../../../src/index.js';
import {
  CROSSTRACE_ROUTES,
  crosstraceAnswers,
  postRolloutK8s,
  sendRolloutSpans,
} from '../../helpers/crosstrace-answers.js';
import { startPostgres } from '../../helpers/postgres.js';

const cluster = await startPostgres();
t.teardown(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'ct-xq-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function answersOn(storage: string) {
  const c = await build({ storage, otlpGrpcPort: -1, ui: false, logLevel: 'silent' });
  try {
    const codes = await postRolloutK8s(c);
    if (codes.some((s) => s !== 200)) throw new Error(`k8s data refused: ${codes}`);
    await sendRolloutSpans(c);
    return { backend: c.controlPlane.backend, answers: await crosstraceAnswers(c) };
  } finally {
    await c.close();
  }
}

const expected = (await answersOn('memory')).answers;

t.test('the memory answers are not empty (the comparison means something)', async (t) => {
  const diagnoses = expected[CROSSTRACE_ROUTES[0]].body as { data: { code: string }[] };
  t.ok(diagnoses.data.some((d) => d.code === 'upstream-pod-terminating'));
  t.ok((expected[CROSSTRACE_ROUTES[2]].body as { data: unknown[] }).data.length >= 3, 'pods');
  const page = expected[CROSSTRACE_ROUTES[3]].body as { data: { diagnoses: string[] }[] };
  t.ok(
    page.data.some((r) => r.diagnoses.length > 0),
    'the pod page shows diagnosed requests',
  );
});

t.test('SQLite answers like memory', async (t) => {
  const got = await answersOn(`sqlite:${join(dir, 'x.db')}`);
  t.equal(got.backend, 'sqlite');
  for (const url of CROSSTRACE_ROUTES) t.same(got.answers[url], expected[url], url);
});

t.test('PostgreSQL answers like memory', async (t) => {
  const got = await answersOn(await cluster.createDatabase());
  t.equal(got.backend, 'postgres');
  for (const url of CROSSTRACE_ROUTES) t.same(got.answers[url], expected[url], url);
});
