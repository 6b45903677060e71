// The ingress: the generated nginx.conf is valid for the real nginx, and the controller applies
// EndpointSlice changes `syncLagMs` late, several at once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { makeCerts } from '../../src/demo/certs.js';
import type { Endpoint, Workloads } from '../../src/demo/cluster/workloads.js';
import { IngressController } from '../../src/demo/ingress-controller.js';
import { findNginx, IngressNginx } from '../../src/demo/ingress-nginx.js';

t.test(
  'nginx.conf in the shape of ingress-nginx, accepted by nginx -t',
  { skip: !findNginx() && 'no nginx' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hotrod-ingress-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const certs = makeCerts(dir);
    const nginx = new IngressNginx({
      dir: join(dir, 'nginx'),
      host: '127.0.0.1',
      httpPort: 1080,
      httpsPort: 1443,
      certs,
      namespace: 'hotrod',
      service: 'frontend',
      servicePort: 8080,
    });
    t.equal(nginx.upstreamName, 'hotrod-frontend-8080');
    // write the config as start() would, without starting
    (nginx as unknown as { writeConfig(): string }).writeConfig();
    const conf = readFileSync(join(dir, 'nginx', 'nginx.conf'), 'utf8');
    for (const line of [
      'proxy_next_upstream error timeout http_502;',
      'proxy_set_header X-Request-ID $req_id;',
      'set $proxy_upstream_name "hotrod-frontend-8080";',
      'ssl_verify_client optional;',
      'access_log',
    ])
      t.ok(conf.includes(line), line);
    t.match(conf, /map \$http_x_request_id \$req_id \{\s+default \$http_x_request_id;\s+""\s+\$request_id;/);
    t.match(conf, /server 127\.255\.255\.254:1 down;/, 'no endpoint yet: a down placeholder');
    const check = spawnSync(
      findNginx()!,
      [
        '-t',
        '-p',
        join(dir, 'nginx'),
        '-e',
        join(dir, 'nginx', 'logs', 'error.log'),
        '-c',
        join(dir, 'nginx', 'nginx.conf'),
      ],
      {
        encoding: 'utf8',
      },
    );
    t.equal(check.status, 0, `nginx -t: ${check.stderr}`);
    t.match(readFileSync(certs.clientCert, 'utf8'), /BEGIN CERTIFICATE/);
  },
);

t.test('the controller syncs ready endpoints, late, several changes at once', async (t) => {
  let endpoints: Endpoint[] = [
    { address: '127.0.0.2', port: 8080, ready: true, serving: true, terminating: false, pod: 'a' },
  ];
  let listener: (s: string) => void = () => {};
  const workloads = {
    onEndpointsChange: (l: (s: string) => void) => {
      listener = l;
    },
    endpoints: () => endpoints,
  } as unknown as Workloads;
  const reloads: string[][] = [];
  const fake: { upstreamServers: readonly string[]; reload(servers: readonly string[]): Promise<void> } = {
    upstreamServers: ['127.0.0.2:8080'],
    async reload(servers) {
      reloads.push([...servers]);
      fake.upstreamServers = servers;
    },
  };
  const nginx = fake as unknown as IngressNginx;
  const controller = new IngressController(workloads, nginx, { service: 'frontend', syncLagMs: 150 });
  t.same(controller.desired(), ['127.0.0.2:8080']);
  endpoints = [
    { ...endpoints[0], ready: false, terminating: true },
    { address: '127.0.0.3', port: 8080, ready: true, serving: true, terminating: false, pod: 'b' },
  ];
  listener('frontend');
  listener('other-service');
  await sleep(60);
  endpoints = [
    ...endpoints,
    { address: '127.0.0.4', port: 8080, ready: true, serving: true, terminating: false, pod: 'c' },
  ];
  listener('frontend');
  t.same(reloads, [], 'nothing before the lag');
  await sleep(200);
  t.same(
    reloads,
    [['127.0.0.3:8080', '127.0.0.4:8080']],
    'one reload with both changes, terminating endpoints out',
  );
  listener('frontend');
  await sleep(200);
  t.equal(reloads.length, 1, 'no reload when nothing changed');
  await controller.stop();
});
