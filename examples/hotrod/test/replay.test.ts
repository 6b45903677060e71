// pnpm demo:replay: the committed recording into a fresh collector, then the same assertions as on
// the live demo, through the collector's API.
import t from 'tap';
import { readRecording } from '../src/demo/recording.js';
import { DEFAULT_RECORDING, runReplay } from '../src/demo/replay.js';
import { formatReport } from '../src/demo/report.js';
import {
  assertDispatchTrace,
  assertFindTrace,
  assertMtls,
  assertRedisRetries,
  assertRolloutDiagnosis,
  assertRolloutTrace,
} from './helpers/demo-assertions.js';
import { getJson, getTrace, tag } from './helpers/jaeger.js';

interface WatchLine {
  type: string;
  object: { kind: string; metadata: { name: string; ownerReferences?: { name: string }[] } };
}

t.test('pnpm demo:replay: the recording tells the same story', async (t) => {
  const rec = readRecording(DEFAULT_RECORDING);
  const events = rec.k8sObjects.map((l) => JSON.parse(l) as WatchLine);
  const frontendSets = [
    ...new Set(
      events
        .filter((e) => e.object.kind === 'ReplicaSet' && e.object.metadata.name.startsWith('frontend-'))
        .map((e) => e.object.metadata.name),
    ),
  ];
  t.equal(frontendSets.length, 2, 'the recording holds a rollout: two frontend ReplicaSets');
  const [oldSet, newSet] = frontendSets;
  const oldPods = events
    .filter(
      (e) =>
        e.type === 'DELETED' &&
        e.object.kind === 'Pod' &&
        e.object.metadata.ownerReferences?.[0]?.name === oldSet,
    )
    .map((e) => e.object.metadata.name);
  t.ok(oldPods.length >= 1, 'old pods deleted in it');

  const started = performance.now();
  const replay = await runReplay({ queryPort: 0 });
  t.teardown(() => replay.stop());
  t.ok(performance.now() - started < 60_000, 'in seconds');
  const query = replay.urls.query;
  const r = replay.report;
  const requests = rec.accessLog.split('\n').filter((l) => l !== '').length;
  t.equal(r.requests, requests, 'every access-log line is a request in the collector');
  t.ok(r.failedAttempts >= 1, `${r.failedAttempts} failed upstream attempts`);
  t.ok(r.slowest && r.rollout502 && r.rolloutTrace && r.findTrace, 'the report has its four links');
  t.ok(replay.shiftSeconds > 0, 'moved forward in time');
  const text = formatReport(r);
  t.match(text, new RegExp(`^${requests} requests through the ingress`), 'the report: requests first');
  for (const url of [r.slowest!.url, r.rollout502!.url, r.rolloutTrace!.url, r.findTrace!.url])
    t.ok(text.includes(url), `the report links ${url}`);
  for (const d of r.rollout502!.diagnoses)
    t.ok(text.includes(`${d.code}: ${d.message}`), `and says ${d.code}`);

  // recent, as if it had just happened: the default search window finds it
  const recent = await getJson<{ data: unknown[] }>(
    `${query}/api/traces?service=frontend&lookback=1h&limit=5`,
  );
  t.equal(recent.data.length, 5, 'found with a one-hour lookback');

  const { driver } = await assertDispatchTrace(t, query, r.slowest!.traceId);
  t.equal(driver, r.findTrace!.driver);
  await assertFindTrace(t, query, driver, r.slowest!.traceId);
  const waited = await getJson<{ data: unknown[] }>(
    `${query}/api/traces?service=mysql&lookback=1h&limit=200`,
  );
  t.ok(
    JSON.stringify(waited.data).includes('Waiting for lock behind'),
    'some SQL SELECT waited for the lock',
  );
  await assertRolloutDiagnosis(t, query, 0, oldPods);

  // the report's 502: an attempt to an old pod a retry saved, so its trace holds all three layers,
  // diagnosed as the live run diagnosed it (the recording keeps when each watch event arrived)
  const x = r.rollout502!;
  t.equal(x.clientStatus, 200, 'the report shows a failed attempt that nginx retried');
  t.ok(
    oldPods.some((p) => x.pod === `hotrod/${p}`),
    `the failed attempt went to an old pod (${x.pod})`,
  );
  t.ok(
    x.diagnoses.some((d) => d.code === 'upstream-pod-terminating' && d.message.includes(x.pod)),
    'upstream-pod-terminating, naming that pod',
  );
  const trace = await getTrace(query, x.traceId);
  const layers = new Set(trace.trace.spans.map((s) => tag(s, 'crosstrace.layer')));
  t.ok(layers.has('ingress') && layers.has('app'), 'its trace holds ingress and app spans');
  t.equal(r.rolloutTrace?.replicaSet, newSet, 'the report links the rollout of the new ReplicaSet');
  await assertRolloutTrace(t, query, r.rolloutTrace!.traceId, newSet);
  await assertRedisRetries(t, query);
  await assertMtls(t, query);
});
