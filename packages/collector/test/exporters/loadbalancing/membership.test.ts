// Members from DNS change under an agent: the rows of a gateway that left are routed again on the
// new ring (nothing acknowledged is lost), and a gateway that joins is sent the control-plane data
// the others got.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import { startCollector } from '../../helpers/collector.js';
import { makeSpan, newTraceId } from '../../helpers/store-spans.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-members-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test(
  'a departed gateway’s queue moves to the others; a new gateway catches up on the control plane',
  async (t) => {
    const a = await startCollector();
    const c = await startCollector();
    t.teardown(() => Promise.all([a.collector.close(), c.collector.close()]));
    // port of a gateway that is gone (nothing listens)
    const gone = await startCollector();
    const deadPort = gone.ports.otlpHttpPort;
    await gone.collector.close();
    // what DNS answers: one address per gateway (on loopback they differ by port)
    let answer = [`127.0.0.1:${a.ports.otlpHttpPort}`, `127.0.0.1:${deadPort}`];
    const agent = await startCollector({
      mode: 'agent',
      gatewayDns: 'crosstrace-gateway.test',
      gatewayDnsInterval: '100ms',
      gatewayProtocol: 'http',
      gatewayPort: 1,
      queuePath: join(dir, 'agent.db'),
      resolveGateways: async () => answer,
    });
    t.teardown(() => agent.collector.close());
    const fwd = agent.collector.forwarder!;
    t.equal(fwd.members.length, 2);
    // control plane first (to both), then spans of many traces (half of them to the dead member)
    const pod = {
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web-1', namespace: 'shop', uid: 'p-1', resourceVersion: '1' },
        status: { podIP: '10.1.0.7', startTime: '2026-01-01T00:00:00Z' },
      },
    };
    await fetch(`http://127.0.0.1:${agent.ports.otlpHttpPort}/k8s/objects`, {
      method: 'POST',
      body: JSON.stringify(pod),
    });
    const spans = Array.from({ length: 60 }, () => makeSpan({ traceId: newTraceId() }));
    const res = await fetch(agent.otlpHttpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTracesProtobuf(spans),
    });
    t.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const stuck = spans.filter((s) => fwd.ownerOf(s.traceId) === `127.0.0.1:${deadPort}`);
    t.ok(stuck.length > 10, `${stuck.length} spans wait for the dead gateway`);
    t.ok(agent.collector.writer.depth().spans > 0);

    // the dead gateway leaves the Service; a new one (c) joins
    answer = [`127.0.0.1:${a.ports.otlpHttpPort}`, `127.0.0.1:${c.ports.otlpHttpPort}`];
    await new Promise((r) => setTimeout(r, 400));
    await agent.collector.writer.drain();
    await a.collector.writer.drain();
    await c.collector.writer.drain();
    t.same([...fwd.members].sort(), [...answer].sort());
    let found = 0;
    for (const s of spans) {
      const where = await Promise.all(
        [a, c].map((g) => g.collector.store.getSpansByIds(s.traceId, [s.spanId])),
      );
      if (where[0].length + where[1].length === 1) found++;
    }
    t.equal(found, spans.length, 'every acknowledged span reached exactly one live gateway');
    t.equal(c.collector.controlPlane.allPods().length, 1, 'the new gateway got the pod from the journal');
    t.equal(a.collector.controlPlane.allPods().length, 1);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.ports.otlpHttpPort}/metrics`)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}\\{exporter="loadbalancing"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    t.ok(value('crosstrace_exporter_sent_items_total') >= spans.length, 'sent items counted');
    t.ok(value('crosstrace_exporter_retries_total') > 0, 'retries to the dead gateway counted');
    t.equal(value('crosstrace_exporter_queue_rows'), 0);
    t.equal(value('crosstrace_exporter_members'), 2);
  },
);
