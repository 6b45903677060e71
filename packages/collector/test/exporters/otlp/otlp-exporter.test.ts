// A collector exporting its stitched spans to another OTLP backend (here a second collector, a real
// OTLP receiver, over gRPC and over HTTP with a token): what arrives is what was stored — layer,
// diagnoses and links kept, re-stitched spans sent again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadScenarios, toSpan } from '../../../eval/scenario.js';
import { getStringAttribute } from '../../../src/model/attributes.js';
import { DIAGNOSIS_EVENT } from '../../../src/processors/stitching/index.js';
import { ingestK8sText } from '../../../src/receivers/k8s/index.js';
import { startCollector } from '../../helpers/collector.js';

const sc = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;
const dir = mkdtempSync(join(tmpdir(), 'ct-export-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

for (const protocol of ['grpc', 'http'] as const) {
  t.test(`stitched spans go on over OTLP/${protocol}, layer and diagnoses kept`, async (t) => {
    // the backend: a plain OTLP receiver that stores what it gets as it is (no stitching of its own)
    const sink = await startCollector({
      processors: [],
      ingestToken: protocol === 'http' ? 'tok' : undefined,
    });
    const endpoint =
      protocol === 'grpc'
        ? `grpc://127.0.0.1:${sink.ports.otlpGrpcPort}`
        : `http://127.0.0.1:${sink.ports.otlpHttpPort}`;
    const gw = await startCollector({
      otlpExportEndpoint: endpoint,
      otlpExportHeaders: protocol === 'http' ? ['authorization=Bearer tok'] : [],
      queuePath: join(dir, `${protocol}.db`),
    });
    t.teardown(async () => {
      await gw.collector.close();
      await sink.collector.close();
    });
    const { pipeline, controlPlane } = gw.collector;
    for (const text of sc.k8s) await ingestK8sText(text, { pipeline, controlPlane, receiver: 'k8s-objects' });
    await pipeline.consume({ spans: sc.ingress.map(toSpan), receiver: 'test' });
    await pipeline.consume({ spans: sc.app.map(toSpan), receiver: 'test' });
    await gw.collector.exporter!.drain();
    await sink.collector.writer.drain();
    t.same(gw.collector.exporter!.stats.dropped, 0);

    let compared = 0;
    for (const s of sc.ingress) {
      const [ours] = await gw.collector.store.getSpansByIds(s.traceId, [s.spanId]);
      const [theirs] = await sink.collector.store.getSpansByIds(s.traceId, [s.spanId]);
      t.ok(theirs, `${s.spanId} exported`);
      if (!theirs) continue;
      t.equal(getStringAttribute(theirs.attributes, 'crosstrace.layer'), 'ingress');
      t.same(theirs.events, ours.events, 'diagnosis events as stored');
      t.same(theirs.links, ours.links, 'pod-lifecycle links as stored');
      compared++;
    }
    t.equal(compared, sc.ingress.length);
    for (const [spanId, code] of sc.truth.diagnoses) {
      const s = sc.ingress.find((x) => x.spanId === spanId)!;
      const [theirs] = await sink.collector.store.getSpansByIds(s.traceId, [spanId]);
      const codes = theirs.events
        .filter((e) => e.name === DIAGNOSIS_EVENT)
        .map((e) => getStringAttribute(e.attributes, 'crosstrace.diagnosis.code'));
      t.ok(codes.includes(code), `${spanId}: ${code} reached the backend`);
    }
    // app spans joined by X-Request-ID arrive under the joined trace
    const app = sc.app[0];
    const stored = (
      await gw.collector.store.findSpans({
        tags: {
          'http.request.header.x-request-id': String(app.attributes?.['http.request.header.x-request-id']),
        },
        limit: 5,
      })
    )[0];
    const [exported] = await sink.collector.store.getSpansByIds(stored.traceId, [stored.spanId]);
    t.equal(exported?.traceId, stored.traceId);
  });
}

t.test('a backend refusing the token: spans stay queued (retryable), none dropped', async (t) => {
  const sink = await startCollector({ ingestToken: 'right' });
  const gw = await startCollector({
    otlpExportEndpoint: `http://127.0.0.1:${sink.ports.otlpHttpPort}`,
    otlpExportHeaders: ['authorization=Bearer wrong'],
    queuePath: join(dir, 'refused.db'),
  });
  t.teardown(async () => {
    await gw.collector.close();
    await sink.collector.close();
  });
  await gw.collector.pipeline.consume({ spans: sc.ingress.slice(0, 10).map(toSpan), receiver: 'test' });
  await new Promise((r) => setTimeout(r, 500));
  t.ok(gw.collector.exporter!.stats.retries > 0);
  t.equal(gw.collector.exporter!.stats.dropped, 0);
  t.same(await sink.collector.store.getServices(), []);
});
