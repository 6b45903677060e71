// kill -9 of a gateway (a real CLI process) while two agents forward to it over OTLP/gRPC: every
// span an agent acknowledged is stored on a gateway once the killed one is back.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import { openSqliteStore } from '../../../src/storage/index.js';
import { type CliProcess, startCli } from '../../helpers/cli.js';
import { startCollector } from '../../helpers/collector.js';
import { makeSpan, ns } from '../../helpers/store-spans.js';

// three CLI starts from source: slow on a loaded machine
t.setTimeout(300_000);

const dir = mkdtempSync(join(tmpdir(), 'ct-kill-gw-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function gateway(name: string, grpcPort = 0): Promise<CliProcess> {
  return startCli([
    '--storage',
    `sqlite:${join(dir, `${name}.db`)}`,
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    String(grpcPort),
    '--query-port',
    '0',
    '--log-level',
    'silent',
  ]);
}

const SPANS = 20;
/** batches acknowledged in all (enough to span the kill, few enough to drain on a loaded machine) */
const MAX_BATCHES = 240;

function batch(traceId: string): Uint8Array {
  return encodeTracesProtobuf(
    Array.from({ length: SPANS }, (_, i) => makeSpan({ traceId, startTimeUnixNano: ns(i) })),
  );
}

t.test('kill -9 of a gateway under load loses no acknowledged span', async (t) => {
  const a = await gateway('a');
  let b = await gateway('b');
  const members = [`127.0.0.1:${a.ports.otlpGrpc}`, `127.0.0.1:${b.ports.otlpGrpc}`];
  const agents = await Promise.all(
    [0, 1].map((i) =>
      startCollector({ mode: 'agent', gateways: members, queuePath: join(dir, `agent-${i}.db`) }),
    ),
  );
  const acked: string[] = [];
  let stop = false;
  async function sender(url: string): Promise<void> {
    while (!stop && acked.length < MAX_BATCHES) {
      const traceId = randomBytes(16).toString('hex');
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: batch(traceId),
        });
        await res.arrayBuffer();
        if (res.status === 200) acked.push(traceId);
      } catch {
        // not acknowledged
      }
    }
  }
  const senders = agents.flatMap((ag) => [sender(ag.otlpHttpUrl), sender(ag.otlpHttpUrl)]);
  const owners = () => acked.map((id) => agents[0].collector.forwarder!.ownerOf(id));
  while (owners().filter((o) => o === members[1]).length < 30) await new Promise((r) => setTimeout(r, 20));
  b.child.kill('SIGKILL');
  t.equal((await b.exited).signal, 'SIGKILL');
  const atKill = acked.length;
  // the agents keep acknowledging while the gateway is down: it is all on their disks
  while (acked.length < Math.min(atKill + 60, MAX_BATCHES)) await new Promise((r) => setTimeout(r, 20));
  b = await gateway('b', Number(members[1].split(':')[1]));
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await Promise.all(senders);
  for (const ag of agents) await ag.collector.writer.drain();
  for (const ag of agents) await ag.collector.close();
  for (const g of [a, b]) {
    g.child.kill('SIGTERM');
    t.equal((await g.exited).code, 0);
  }
  const stores = [
    await openSqliteStore({ path: join(dir, 'a.db') }),
    await openSqliteStore({ path: join(dir, 'b.db') }),
  ];
  let missing = 0;
  let onB = 0;
  for (const traceId of acked) {
    const counts = await Promise.all(stores.map((s) => s.getTrace(traceId).then((x) => x.length)));
    if (counts[0] + counts[1] !== SPANS || Math.min(...counts) !== 0) missing++;
    if (counts[1] === SPANS) onB++;
  }
  for (const s of stores) await s.close();
  t.ok(onB > 30, `${onB} traces on the gateway that was killed`);
  t.equal(
    missing,
    0,
    `all ${acked.length * SPANS} acknowledged spans stored, each trace whole on one gateway`,
  );
});
