// A gateway whose control-plane state is in memory (`--storage memory`) loses its
// timeline when it restarts at the same address: it says so with a new TIMELINE_HEADER, and each
// agent sends it its journal again; a gateway that did not restart is not sent it twice, and one
// that keeps its timeline on disk sends no header.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TIMELINE_HEADER } from '../../../src/index.js';
import { type Running, startCollector } from '../../helpers/collector.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-gw-restart-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function podEvent(n: number) {
  return JSON.stringify({
    type: 'ADDED',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${n}`, namespace: 'shop', uid: `p-${n}`, resourceVersion: String(n) },
      status: { podIP: `10.1.0.${n}`, startTime: '2026-01-01T00:00:00Z' },
    },
  });
}

async function postPod(agent: Running, n: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${agent.ports.otlpHttpPort}/k8s/objects`, {
    method: 'POST',
    body: podEvent(n),
  });
  if (res.status !== 200) throw new Error(`agent answered ${res.status}`);
}

const podNames = (g: Running) =>
  g.collector.controlPlane
    .allPods()
    .map((p) => p.name)
    .sort();

t.test('a gateway restarted at the same address is sent the journal again, once', async (t) => {
  let gateway = await startCollector();
  const ports = gateway.ports;
  const agent = await startCollector({
    mode: 'agent',
    gateways: [`127.0.0.1:${ports.otlpHttpPort}`],
    gatewayProtocol: 'http',
    queuePath: join(dir, 'agent.db'),
  });
  t.teardown(async () => {
    await agent.collector.close();
    await gateway.collector.close();
  });
  const fwd = agent.collector.forwarder!;

  await postPod(agent, 1);
  await postPod(agent, 2);
  await agent.collector.writer.drain();
  t.same(podNames(gateway), ['web-1', 'web-2']);
  t.equal(fwd.stats.sent, 2, 'a gateway that keeps its timeline is sent each payload once');

  // same address, new process: its timeline starts empty
  await gateway.collector.close();
  gateway = await startCollector({
    otlpHttpPort: ports.otlpHttpPort,
    otlpGrpcPort: ports.otlpGrpcPort,
    queryPort: ports.queryPort,
  });
  t.same(podNames(gateway), []);
  await postPod(agent, 3);
  await agent.collector.writer.drain();
  t.same(podNames(gateway), ['web-1', 'web-2', 'web-3'], 'the journal filled the new timeline');
  t.equal(fwd.stats.sent, 6, 'the new payload, then the journal of three');
  t.equal(agent.collector.writer.depth().spans, 0);

  await postPod(agent, 4);
  await agent.collector.writer.drain();
  t.equal(fwd.stats.sent, 7, 'the journal is not sent again while the timeline stays');
  t.same(podNames(gateway), ['web-1', 'web-2', 'web-3', 'web-4']);
});

t.test(
  'the timeline header: in memory with a new id per process; none beside SQLite or on an agent',
  async (t) => {
    const post = async (g: Running) =>
      (
        await fetch(`http://127.0.0.1:${g.ports.otlpHttpPort}/k8s/objects`, {
          method: 'POST',
          body: podEvent(9),
        })
      ).headers.get(TIMELINE_HEADER);
    const a = await startCollector();
    const b = await startCollector();
    const onDisk = await startCollector({ storage: `sqlite:${join(dir, 'gateway.db')}` });
    const agent = await startCollector({
      mode: 'agent',
      gateways: [`127.0.0.1:${a.ports.otlpHttpPort}`],
      gatewayProtocol: 'http',
      queuePath: join(dir, 'agent-2.db'),
    });
    t.teardown(() => Promise.all([agent, a, b, onDisk].map((g) => g.collector.close())));
    const idA = await post(a);
    t.match(idA, /^[0-9a-f-]{36}$/);
    t.equal(await post(a), idA, 'the same process keeps its id');
    t.not(await post(b), idA);
    t.equal(await post(onDisk), null);
    t.equal(await post(agent), null);
  },
);

t.test('an agent remembers the timelines across its own restart', async (t) => {
  let gateway = await startCollector();
  const ports = gateway.ports;
  const agentOptions = {
    mode: 'agent' as const,
    gateways: [`127.0.0.1:${ports.otlpHttpPort}`],
    gatewayProtocol: 'http' as const,
    queuePath: join(dir, 'agent-3.db'),
  };
  let agent = await startCollector(agentOptions);
  t.teardown(async () => {
    await agent.collector.close();
    await gateway.collector.close();
  });
  await postPod(agent, 1);
  await agent.collector.writer.drain();
  // both restart; the gateway while the agent is down
  await agent.collector.close();
  await gateway.collector.close();
  gateway = await startCollector({
    otlpHttpPort: ports.otlpHttpPort,
    otlpGrpcPort: ports.otlpGrpcPort,
    queryPort: ports.queryPort,
  });
  agent = await startCollector(agentOptions);
  await postPod(agent, 2);
  await agent.collector.writer.drain();
  t.same(podNames(gateway), ['web-1', 'web-2']);
});
