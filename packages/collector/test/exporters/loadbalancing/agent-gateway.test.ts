// Two agents and two gateways on loopback, real sockets: the app's spans reach one agent, the
// ingress's the other, the control plane is broadcast; every trace is stitched, with its
// diagnoses, on the one gateway that owns it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadScenarios, predictedDiagnoses, runOrder, toSpan, units } from '../../../eval/scenario.js';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import type { Span } from '../../../src/model/span.js';
import { DIAGNOSIS_EVENT, joinTargetOf, joinTraceId } from '../../../src/processors/stitching/index.js';
import { type Running, startCollector } from '../../helpers/collector.js';

const sc = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;

async function postSpans(agent: Running, spans: Span[]): Promise<void> {
  for (let i = 0; i < spans.length; i += 50) {
    const res = await fetch(agent.otlpHttpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTracesProtobuf(spans.slice(i, i + 50)),
    });
    if (res.status !== 200) throw new Error(`agent answered ${res.status}`);
  }
}

async function setup(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'ct-agw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gateways = [await startCollector(), await startCollector()];
  const members = gateways.map((g) => `127.0.0.1:${g.ports.otlpHttpPort}`);
  const agents = [
    await startCollector({
      mode: 'agent',
      gateways: members,
      gatewayProtocol: 'http',
      queuePath: join(dir, 'a0.db'),
    }),
    await startCollector({
      mode: 'agent',
      gateways: members,
      gatewayProtocol: 'http',
      queuePath: join(dir, 'a1.db'),
    }),
  ];
  t.teardown(async () => {
    for (const a of agents) await a.collector.close();
    for (const g of gateways) await g.collector.close();
  });
  return { gateways, agents, members, dir };
}

t.test(
  'spans of one trace through different agents meet, stitched with their diagnoses, on one gateway',
  async (t) => {
    const { gateways, agents, members } = await setup(t);
    // the control plane through agent 0, broadcast to both gateways
    for (const text of sc.k8s) {
      const res = await fetch(`http://127.0.0.1:${agents[0].ports.otlpHttpPort}/k8s/objects?arrival=none`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      t.equal(res.status, 200);
    }
    // the app's spans through agent 0, the ingress's through agent 1
    await postSpans(agents[0], sc.app.map(toSpan));
    await postSpans(agents[1], sc.ingress.map(toSpan));
    for (const a of agents) await a.collector.writer.drain();
    for (const g of gateways) await g.collector.writer.drain();

    const pods = gateways.map((g) => g.collector.controlPlane.allPods().length);
    t.ok(pods[0] > 0 && pods[0] === pods[1], `both gateways hold the whole pod timeline (${pods})`);

    const forwarder = agents[0].collector.forwarder!;
    const storeOf = (member: string) => gateways[members.indexOf(member)].collector.store;
    const ingressTraces = [...new Set(sc.ingress.map((s) => s.traceId))];
    const onGateway = [0, 0];
    for (const traceId of ingressTraces) {
      const owner = forwarder.ownerOf(traceId)!;
      onGateway[members.indexOf(owner)]++;
      const other = members.find((m) => m !== owner)!;
      t.same(await storeOf(other).getTrace(traceId), [], 'nothing of the trace on the other gateway');
      const spans = await storeOf(owner).getTrace(traceId);
      const want = sc.ingress.filter((s) => s.traceId === traceId).length;
      const app = sc.app.filter((s) => {
        const target = joinTargetOf(toSpan(s));
        return target !== undefined && joinTraceId(target) === traceId;
      });
      t.equal(
        spans.length,
        want + app.length,
        'ingress spans and the app root joined by X-Request-ID together',
      );
    }
    t.ok(onGateway[0] > 10 && onGateway[1] > 10, `traces spread over both gateways (${onGateway})`);

    // the diagnoses are those of one collector seeing everything
    const reference = predictedDiagnoses(await runOrder(units(sc)));
    t.ok(reference.size >= 10, `the scenario has diagnoses (${reference.size})`);
    const union = new Set<string>();
    for (const g of gateways) for (const d of predictedDiagnoses(g.collector)) union.add(d);
    t.same([...union].sort(), [...reference].sort());
    for (const [spanId, code] of sc.truth.diagnoses) {
      const attempt = sc.ingress.find((s) => s.spanId === spanId)!;
      const stored = (
        await storeOf(forwarder.ownerOf(attempt.traceId)!).getSpansByIds(attempt.traceId, [spanId])
      )[0];
      const codes = stored.events
        .filter((e) => e.name === DIAGNOSIS_EVENT)
        .map((e) => e.attributes.find((a) => a.key === 'crosstrace.diagnosis.code')?.value.stringValue);
      t.ok(codes.includes(code), `${spanId} carries ${code} on its gateway`);
    }
  },
);

t.test('watch events keep the arrival time the agent gave them', async (t) => {
  const { gateways, agents } = await setup(t);
  const before = BigInt(Date.now()) * 1_000_000n;
  const event = {
    type: 'MODIFIED',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '7', uid: 'd-1' },
      spec: { replicas: 2 },
    },
  };
  const res = await fetch(`http://127.0.0.1:${agents[1].ports.otlpHttpPort}/k8s/objects`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  const after = BigInt(Date.now()) * 1_000_000n;
  t.equal(res.status, 200);
  await agents[1].collector.writer.drain();
  for (const g of gateways) {
    const obs = g.collector.controlPlane.objectObservations('Deployment', 'shop', 'web');
    t.equal(obs.length, 1);
    const at = obs[0].arrivalNanos!;
    t.ok(at >= before && at <= after, 'the agent’s arrival time, not the gateway’s');
  }
});

t.test('an agent without a reachable gateway keeps what it acknowledged until one answers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-agw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // a port nobody listens on yet
  const probe = await startCollector();
  const port = probe.ports.otlpHttpPort;
  await probe.collector.close();
  const agent = await startCollector({
    mode: 'agent',
    gateways: [`127.0.0.1:${port}`],
    gatewayProtocol: 'http',
    queuePath: join(dir, 'q.db'),
  });
  const spans = sc.ingress.slice(0, 30).map(toSpan);
  await postSpans(agent, spans);
  t.equal(agent.collector.writer.depth().spans > 0, true, 'queued on disk');
  await agent.collector.close();
  // the agent restarts; the gateway comes up on the port the agent knows
  const gateway = await startCollector({ otlpHttpPort: port });
  t.teardown(() => gateway.collector.close());
  const again = await startCollector({
    mode: 'agent',
    gateways: [`127.0.0.1:${port}`],
    gatewayProtocol: 'http',
    queuePath: join(dir, 'q.db'),
  });
  t.teardown(() => again.collector.close());
  await again.collector.writer.drain();
  await gateway.collector.writer.drain();
  for (const s of spans)
    t.equal((await gateway.collector.store.getSpansByIds(s.traceId, [s.spanId])).length, 1, s.spanId);
});
