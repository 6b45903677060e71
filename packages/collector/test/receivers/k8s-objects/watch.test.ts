import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import t from 'tap';
import { createControlPlaneState } from '../../../src/controlplane/index.js';
import type { SpanBatch } from '../../../src/model/span.js';
import { startK8sWatch } from '../../../src/receivers/k8s-objects/watch.js';

// A mock Kubernetes API server answering watch requests in the real wire format: chunked JSON
// lines of {"type","object"}, objects with TypeMeta and resourceVersions.
function pod(name: string, rv: string, ip: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv },
    status: { podIP: ip },
  };
}

/** Starts `server` on a free loopback port and returns a KubeConfig pointing at it. */
async function kubeConfigFor(server: Server): Promise<KubeConfig> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'mock', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'mock', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test(
  'watches pods and events through @kubernetes/client-node, resumes from the last resourceVersion',
  async (t) => {
    const requests: { path: string; rv: string | null }[] = [];
    const open = new Set<ServerResponse>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ path: url.pathname, rv: url.searchParams.get('resourceVersion') });
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      if (url.pathname === '/api/v1/pods') {
        if (url.searchParams.get('resourceVersion') === null) {
          res.write(`${JSON.stringify({ type: 'ADDED', object: pod('a', '10', '10.1.0.1') })}\n`);
          res.write(
            `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '15' } } })}\n`,
          );
          res.end(); // the server closes the watch: the client must resume from 15
        } else {
          res.write(`${JSON.stringify({ type: 'MODIFIED', object: pod('b', '16', '10.1.0.2') })}\n`);
          open.add(res);
        }
      } else if (url.pathname === '/apis/events.k8s.io/v1/events') {
        // events.k8s.io/v1 objects as the API sends them, TypeMeta omitted here to check the defaults
        res.write(
          `${JSON.stringify({
            type: 'ADDED',
            object: {
              metadata: { name: 'a.1', namespace: 'shop', uid: 'ev1', resourceVersion: '11' },
              eventTime: '2026-01-10T12:00:00.123456Z',
              reason: 'Scheduled',
              note: 'Successfully assigned shop/a to node-1',
              regarding: { kind: 'Pod', name: 'a', namespace: 'shop', uid: 'uid-a' },
              reportingController: 'default-scheduler',
            },
          })}\n`,
        );
        open.add(res);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    const kc = await kubeConfigFor(server);
    const controlPlane = createControlPlaneState();
    const batches: SpanBatch[] = [];
    const errors: unknown[] = [];
    const watch = startK8sWatch({
      kubeConfig: kc,
      controlPlane,
      pipeline: {
        consume: async (b) => {
          batches.push(b);
        },
      },
      paths: ['/api/v1/pods', '/apis/events.k8s.io/v1/events'],
      flushMs: 20,
      retryMs: 20,
      onError: (e) => errors.push(e),
    });
    t.teardown(async () => {
      await watch.stop();
      for (const r of open) r.end();
      server.closeAllConnections();
      server.close();
    });
    await until(() => controlPlane.pod('uid-b') !== undefined, 'the resumed watch');
    t.ok(
      requests.some((r) => r.path === '/api/v1/pods' && r.rv === '15'),
      'resumed from the bookmark resourceVersion',
    );
    t.ok((controlPlane.pod('uid-a')?.lastSeenNanos ?? 0n) > 0n, 'stamped with the arrival time');
    await until(
      () => batches.some((b) => b.spans.some((s) => s.name === 'Pod.Scheduled')),
      'the Scheduled span',
    );
    const scheduled = batches.flatMap((b) => b.spans).find((s) => s.name === 'Pod.Scheduled')!;
    t.equal(scheduled.serviceName, 'default-scheduler');
    t.equal(batches[0].receiver, 'k8s-watch');
    t.ok(watch.counts.events >= 3);
    t.ok(watch.counts.restarts >= 1);
  },
);

t.test('a refusing pipeline keeps the events for the next flush; stop() never throws', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.end(`${JSON.stringify({ type: 'ADDED', object: pod('c', '20', '10.1.0.3') })}\n`);
  });
  const kc = await kubeConfigFor(server);
  let refuse = true;
  const delivered: SpanBatch[] = [];
  const watch = startK8sWatch({
    kubeConfig: kc,
    controlPlane: createControlPlaneState(),
    pipeline: {
      consume: async (b) => {
        if (refuse) throw new Error('full');
        delivered.push(b);
      },
    },
    paths: ['/api/v1/pods'],
    flushMs: 10_000,
    retryMs: 300,
  });
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  await until(() => watch.counts.events >= 1, 'the first event');
  await watch.flush();
  t.equal(delivered.length, 0);
  t.ok(watch.counts.errors >= 1, 'the refusal is counted');
  refuse = false;
  await watch.flush();
  t.equal(delivered.length, 1, 'delivered on the next flush');
  await t.resolves(watch.stop());
});

t.test('stop() returns when the API server never answers the watch request', async (t) => {
  // accepts the connection, never sends headers: the watch is still "connecting" at stop()
  const server = createServer(() => {});
  const kc = await kubeConfigFor(server);
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const watch = startK8sWatch({
    kubeConfig: kc,
    controlPlane: createControlPlaneState(),
    pipeline: { consume: async () => {} },
    paths: ['/api/v1/pods'],
  });
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await watch.stop();
  t.ok(Date.now() - started < 5000, 'stop() did not wait for the unanswered request');
});
