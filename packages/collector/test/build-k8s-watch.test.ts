import { createServer, type ServerResponse } from 'node:http';
import t from 'tap';
import { build } from '../src/index.js';
import { kubeconfigFor, useKubeconfig } from './helpers/kubeconfig.js';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// `--k8s-watch` wires the in-cluster watch into a built collector: objects from a mock API server
// (real watch wire format) reach the control-plane state, and close() stops the watch.
t.test('k8sWatch: true watches the cluster named by $KUBECONFIG and stops on close', async (t) => {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (url.pathname === '/api/v1/pods') {
      const object = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-web-1', resourceVersion: '7' },
        status: { podIP: '10.244.1.7' },
      };
      res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    }
    open.add(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  useKubeconfig(t, kubeconfigFor(`http://127.0.0.1:${port}`));
  t.teardown(() => {
    for (const r of open) r.end();
    server.closeAllConnections();
    server.close();
  });

  const collector = await build({
    storage: 'memory',
    k8sWatch: true,
    otlpHttpPort: 0,
    otlpGrpcPort: -1,
    queryPort: 0,
    logLevel: 'silent',
  });
  await collector.listen();
  const deadline = Date.now() + 10_000;
  while (collector.controlPlane.pod('uid-web-1') === undefined) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(collector.controlPlane.pod('uid-web-1'), 'the watched pod reached the control-plane state');
  await collector.close();
  t.pass('close() stopped the watch and returned');
});

t.test('k8sWatch defaults to off', async (t) => {
  const collector = await build({ storage: 'memory', otlpGrpcPort: -1, logLevel: 'silent' });
  t.equal(collector.config.k8sWatch, false);
  await collector.close();
});

t.test('k8sWatch: true with an unreadable $KUBECONFIG fails at build, naming the file', async (t) => {
  const kubeconfig = useKubeconfig(t, 'clusters: [unclosed\n');
  await t.rejects(
    build({ storage: 'memory', k8sWatch: true, otlpGrpcPort: -1, logLevel: 'silent' }),
    {
      code: 'CT_COLLECTOR_CONFIG',
      message: new RegExp(
        `^--k8s-watch: cannot read the Kubernetes client configuration \\(${escapeRegExp(kubeconfig)}\\): `,
      ),
    },
    'a configuration error from build(), before anything listens',
  );
});
