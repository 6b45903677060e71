// Leader election against a mock API server that keeps Leases as kube-apiserver does
// (coordination.k8s.io/v1 JSON, resourceVersion checked on update: 409 on a stale write), and
// collectors built with --k8s-watch --leader-election: one watch for N replicas.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import t from 'tap';
import { LeaderElector } from '../../src/coordination/index.js';
import { build } from '../../src/index.js';
import { useKubeconfig } from '../helpers/kubeconfig.js';

interface MockApi {
  kubeConfig: KubeConfig;
  leases: Map<string, Record<string, unknown>>;
  /** watch requests seen, by path */
  watches: string[];
  /** refuse every request (an API server outage) */
  down: boolean;
  /** refuse the writes of this holder (a leader that hangs, is partitioned, or crashed) */
  refuseHolder?: string;
  close(): void;
}

async function mockApi(): Promise<MockApi> {
  const leases = new Map<string, Record<string, unknown>>();
  const watches: string[] = [];
  let rv = 100;
  const open = new Set<ServerResponse>();
  const api: Partial<MockApi> = { leases, watches, down: false };
  const body = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let s = '';
      req.on('data', (c) => {
        s += c;
      });
      req.on('end', () => resolve(s === '' ? {} : JSON.parse(s)));
    });
  const send = (res: ServerResponse, code: number, obj: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const status = (code: number, reason: string) => ({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
  });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (api.down) return send(res, 503, status(503, 'ServiceUnavailable'));
    const m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(
      url.pathname,
    );
    if (m === null) {
      // a watch: keep it open and empty
      watches.push(url.pathname);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      open.add(res);
      return;
    }
    const [, ns, name] = m;
    if (req.method === 'GET') {
      const l = leases.get(`${ns}/${name}`);
      return l ? send(res, 200, l) : send(res, 404, status(404, 'NotFound'));
    }
    const b = await body(req);
    const meta = (b.metadata ?? {}) as Record<string, unknown>;
    if (req.method === 'POST') {
      const key = `${ns}/${meta.name}`;
      if (leases.has(key)) return send(res, 409, status(409, 'AlreadyExists'));
      const lease = { ...b, metadata: { ...meta, namespace: ns, resourceVersion: String(++rv) } };
      leases.set(key, lease);
      return send(res, 201, lease);
    }
    if (req.method === 'PUT') {
      const key = `${ns}/${name}`;
      const holder = (b.spec as Record<string, unknown> | undefined)?.holderIdentity;
      if (api.refuseHolder !== undefined && holder === api.refuseHolder)
        return send(res, 503, status(503, 'ServiceUnavailable'));
      const cur = leases.get(key);
      if (!cur) return send(res, 404, status(404, 'NotFound'));
      if ((cur.metadata as Record<string, unknown>).resourceVersion !== meta.resourceVersion)
        return send(res, 409, status(409, 'Conflict'));
      const lease = { ...b, metadata: { ...meta, resourceVersion: String(++rv) } };
      leases.set(key, lease);
      return send(res, 200, lease);
    }
    send(res, 405, status(405, 'MethodNotAllowed'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'mock', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'mock', user: 'u' }],
    currentContext: 'c',
  });
  api.kubeConfig = kc;
  api.close = () => {
    for (const r of open) r.end();
    server.closeAllConnections();
    server.close();
  };
  return api as MockApi;
}

const fast = { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100 };
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

t.test('one leader among candidates; it hands over on stop and when it dies', async (t) => {
  const api = await mockApi();
  t.teardown(api.close);
  const leading = new Map<string, boolean>();
  const electors = ['a', 'b', 'c'].map(
    (id) =>
      new LeaderElector({
        kubeConfig: api.kubeConfig,
        namespace: 'crosstrace',
        name: 'crosstrace-k8s-watch',
        identity: id,
        ...fast,
        // long enough that a takeover without waiting for expiry is visible
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        onStartedLeading: () => {
          leading.set(id, true);
        },
        onStoppedLeading: () => {
          leading.set(id, false);
        },
        onError: () => {},
      }),
  );
  for (const e of electors) e.start();
  t.teardown(() => Promise.all(electors.map((e) => e.stop())));
  await until(() => electors.some((e) => e.isLeader));
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(
    electors.filter((e) => e.isLeader).length,
    1,
    'exactly one leader, also after several lease durations',
  );
  const first = electors.find((e) => e.isLeader)!;
  const lease = api.leases.get('crosstrace/crosstrace-k8s-watch')!;
  t.match(lease, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { leaseDurationSeconds: 3 } });
  t.equal((lease.spec as Record<string, unknown>).holderIdentity, ['a', 'b', 'c'][electors.indexOf(first)]);

  // a graceful stop releases the Lease: another takes over at once
  await first.stop();
  const stoppedAt = Date.now();
  await until(() => electors.some((e) => e !== first && e.isLeader));
  const handover = Date.now() - stoppedAt;
  t.ok(handover < 1500, `released Lease taken over after ${handover} ms, not after its 3 s duration`);
  t.equal(electors.filter((e) => e.isLeader).length, 1);

  // the leader stops renewing without releasing (a crash): the other waits a whole lease duration
  const second = electors.find((e) => e.isLeader)!;
  // from now on the second cannot renew (as if it hung or was cut off)
  api.refuseHolder = (api.leases.get('crosstrace/crosstrace-k8s-watch')!.spec as Record<string, unknown>)
    .holderIdentity as string;
  const crashAt = Date.now();
  await until(() => electors.some((e) => e !== first && e !== second && e.isLeader), 8000);
  const took = Date.now() - crashAt;
  t.ok(took >= 2900, `took over after ${took} ms, not before the lease could expire`);
  await until(() => !second.isLeader, 3000);
  t.notOk(second.isLeader, 'the old leader stepped down (no renewal within its deadline)');
  t.equal(electors.filter((e) => e.isLeader).length, 1);
});

t.test('an API outage: the leader steps down after the renew deadline and comes back', async (t) => {
  const api = await mockApi();
  t.teardown(api.close);
  const events: string[] = [];
  const e = new LeaderElector({
    kubeConfig: api.kubeConfig,
    namespace: 'ns',
    name: 'l',
    identity: 'solo',
    ...fast,
    onStartedLeading: () => {
      events.push('start');
    },
    onStoppedLeading: () => {
      events.push('stop');
    },
    onError: () => {},
  });
  e.start();
  t.teardown(() => e.stop());
  await until(() => e.isLeader);
  api.down = true;
  await until(() => !e.isLeader, 3000);
  api.down = false;
  await until(() => e.isLeader, 3000);
  t.same(events, ['start', 'stop', 'start']);
});

t.test('collectors with --k8s-watch --leader-election: one of them watches', async (t) => {
  const api = await mockApi();
  t.teardown(api.close);
  const opts = {
    storage: 'memory',
    k8sWatch: true,
    leaderElection: true,
    leaderElectionNamespace: 'crosstrace',
    otlpHttpPort: 0,
    otlpGrpcPort: -1,
    queryPort: 0,
    logLevel: 'silent' as const,
    kubeConfig: api.kubeConfig,
  };
  const collectors = [await build(opts), await build(opts)];
  for (const c of collectors) await c.listen();
  t.teardown(async () => {
    for (const c of collectors) await c.close();
  });
  await until(() => collectors.some((c) => c.elector?.isLeader));
  await until(() => api.watches.length >= 6);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(collectors.filter((c) => c.elector?.isLeader).length, 1);
  t.equal(api.watches.length, 6, 'six collections watched once, not once per replica');
});

t.test(
  'without a kubeConfig, an unreadable default configuration is reported and retried, never thrown',
  async (t) => {
    useKubeconfig(t, 'clusters: [unclosed\n');
    const errors: unknown[] = [];
    let led = false;
    const elector = new LeaderElector({
      namespace: 'crosstrace',
      name: 'crosstrace-k8s-watch',
      identity: 'a',
      ...fast,
      onStartedLeading: () => {
        led = true;
      },
      onStoppedLeading: () => {},
      onError: (err) => errors.push(err),
    });
    elector.start();
    await until(() => errors.length >= 2);
    await elector.stop();
    t.match(String(errors[0]), /indentation|unclosed|flow/i, 'the YAML error, through onError');
    t.ok(errors.length >= 2, 'tried again at the next retry period');
    t.notOk(led || elector.isLeader, 'never leading');
  },
);
