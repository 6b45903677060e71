// Two gateways on one PostgreSQL, fed by an agent that splits the traces between them, answer every
// query exactly as one gateway fed everything does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import { startCollector } from '../../helpers/collector.js';
import { startPostgres } from '../../helpers/postgres.js';
import { queryAnswers, queryDataset, queryRequests } from '../../helpers/query-answers.js';

t.test('two gateways on one PostgreSQL give the same answers as one', async (t) => {
  const cluster = await startPostgres();
  t.teardown(() => cluster.stop());
  const dir = mkdtempSync(join(tmpdir(), 'ct-pg-gw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const shared = await cluster.createDatabase();
  // as deploy/kubernetes runs them: joins search the shared store, not one gateway's memory
  const gateway = () => startCollector({ storage: shared, stitchingIndexSpans: 0 });
  const gateways = [await gateway(), await gateway()];
  const single = await startCollector({ storage: await cluster.createDatabase() });
  const agent = await startCollector({
    mode: 'agent',
    gateways: gateways.map((g) => `127.0.0.1:${g.ports.otlpGrpcPort}`),
    queuePath: join(dir, 'agent.db'),
  });
  t.teardown(async () => {
    await agent.collector.close();
    for (const g of [...gateways, single]) await g.collector.close();
  });

  const dataset = queryDataset(60);
  for (let i = 0; i < dataset.length; i += 30) {
    const body = encodeTracesProtobuf(dataset.slice(i, i + 30));
    for (const url of [agent.otlpHttpUrl, single.otlpHttpUrl]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      t.equal(res.status, 200);
    }
  }
  await agent.collector.writer.drain();
  const owners = new Set(dataset.map((s) => agent.collector.forwarder!.ownerOf(s.traceId)));
  t.equal(owners.size, 2, 'the traces were split between the two gateways');

  const urls = queryRequests(dataset);
  const reference = await queryAnswers(single.collector.query, urls);
  t.equal((reference[urls[4]].body as { data: unknown[] }).data.length, 10, 'the reference is not empty');
  for (const [i, g] of gateways.entries()) {
    const got = await queryAnswers(g.collector.query, urls);
    for (const url of urls) t.same(got[url], reference[url], `gateway ${i}: ${url}`);
  }
});
