// What breaks in production: container ports against the CLI's options, probes against the routes
// the collector (and the bridge) really serve, mounts against what the bridge reads and writes,
// the security context, resources, and a grace period that covers the shutdown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@crosstrace/collector';
import { BridgeMetrics, serveMetrics } from '@crosstrace/nginx-log-bridge';
import t from 'tap';
import { configOf } from './helpers/collector-config.js';
import {
  containersRunning,
  find,
  type K8sObject,
  OVERLAYS,
  podSpec,
  render,
  workloads,
} from './helpers/render.js';

const PORT_OF = { 'otlp-grpc': 'otlpGrpcPort', 'otlp-http': 'otlpHttpPort', query: 'queryPort' } as const;
const SECRETS = { 'crosstrace-postgres/url': 'postgres://crosstrace@db:5432/crosstrace' };

function allContainers(w: K8sObject): K8sObject[] {
  return [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
}

t.test('a probe on a path the collector does not serve would fail the check', async (t) => {
  const collector = await build({ storage: 'memory', logLevel: 'silent', otlpGrpcPort: -1 });
  t.teardown(() => collector.close());
  t.equal((await collector.otlpHttp.inject('/health')).statusCode, 404);
});

for (const overlay of OVERLAYS) {
  const objects = render(`overlays/${overlay}`);

  t.test(`${overlay}: container ports are the ports the collector's options open`, async (t) => {
    for (const w of workloads(objects)) {
      const [c] = containersRunning(w, 'crosstrace-collector');
      t.ok(c, `${w.kind} runs the collector`);
      const config = configOf(c, SECRETS);
      const ports = new Map<string, K8sObject>((c.ports as K8sObject[]).map((p) => [p.name, p]));
      for (const [name, key] of Object.entries(PORT_OF)) {
        t.equal(ports.get(name)?.containerPort, config[key], `${w.kind} ${name} = ${key}`);
        if (podSpec(w).hostNetwork)
          t.equal(ports.get(name)?.hostPort, config[key], 'hostPort = containerPort');
      }
      t.equal(config.host, '0.0.0.0', 'reachable from other pods');
    }
    // every Service targets a named port its pods declare
    for (const svc of find(objects, 'Service')) {
      const pods = workloads(objects).filter((w) =>
        Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
      );
      t.equal(pods.length, 1, `${svc.metadata.name} selects one workload`);
      const names = podSpec(pods[0]).containers.flatMap((c: K8sObject) =>
        (c.ports ?? []).map((p: K8sObject) => p.name),
      );
      for (const p of svc.spec.ports)
        t.ok(names.includes(p.targetPort), `${svc.metadata.name}: ${p.targetPort}`);
    }
  });

  t.test(`${overlay}: probes hit routes the collector and the bridge serve`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-probe-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    for (const w of workloads(objects)) {
      const [c] = containersRunning(w, 'crosstrace-collector');
      const config = configOf(c, SECRETS);
      // the container's configuration on loopback, free ports, a throw-away store
      const collector = await build({
        ...config,
        host: '127.0.0.1',
        otlpHttpPort: 0,
        otlpGrpcPort: 0,
        queryPort: 0,
        storage: 'memory',
        queuePath: join(dir, `${w.kind}.db`),
        k8sWatch: false,
        leaderElection: false,
        logLevel: 'silent',
        resolveGateways: async () => ['127.0.0.1:1'],
      });
      await collector.listen();
      try {
        for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          const probe = c[kind]?.httpGet;
          t.ok(probe, `${w.kind} has a ${kind}`);
          const app = probe.port === 'query' ? collector.query : collector.otlpHttp;
          t.ok(['otlp-http', 'query'].includes(probe.port), 'an HTTP port');
          const res = await app.inject(probe.path);
          t.equal(res.statusCode, 200, `${w.kind} ${kind} GET ${probe.path}`);
        }
      } finally {
        await collector.close();
      }
    }
    for (const w of workloads(objects)) {
      for (const c of containersRunning(w, 'crosstrace-nginx-bridge')) {
        const metricsPort = Number(/--metrics-port=(\d+)/.exec(c.args.join(' '))?.[1]);
        const port = (c.ports as K8sObject[]).find((p) => p.name === c.livenessProbe.httpGet.port);
        t.equal(port?.containerPort, metricsPort, 'the bridge probe targets its --metrics-port');
        const { server, port: p } = await serveMetrics(new BridgeMetrics(), { port: 0 });
        const res = await fetch(`http://127.0.0.1:${p}${c.livenessProbe.httpGet.path}`);
        server.close();
        t.equal(res.status, 200, `bridge GET ${c.livenessProbe.httpGet.path}`);
      }
    }
  });

  t.test(`${overlay}: non-root, read-only root filesystem, resources, grace period`, async (t) => {
    for (const w of workloads(objects)) {
      const spec = podSpec(w);
      t.equal(spec.securityContext.runAsNonRoot, true, `${w.kind}: pods run as non-root`);
      t.ok(spec.securityContext.runAsUser > 0);
      t.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault');
      for (const c of allContainers(w)) {
        const sc = c.securityContext ?? {};
        const init = (spec.initContainers ?? []).includes(c);
        if (init && sc.runAsUser === 0) {
          // the one root step: chown of the data directory, with CHOWN only
          t.same(sc.capabilities, { drop: ['ALL'], add: ['CHOWN'] }, `${c.name}: CHOWN only`);
          t.equal(c.command[0], 'chown');
        } else {
          t.not(sc.runAsNonRoot, false, `${c.name} stays non-root`);
          t.not(sc.runAsUser, 0);
          t.same(sc.capabilities, { drop: ['ALL'] }, `${c.name}: no capabilities`);
        }
        t.equal(sc.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
        t.equal(sc.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`);
        for (const r of ['cpu', 'memory']) {
          t.ok(c.resources?.requests?.[r], `${c.name}: ${r} request`);
          t.ok(c.resources?.limits?.[r], `${c.name}: ${r} limit`);
        }
        // the only writable place is the data volume
        for (const m of c.volumeMounts ?? [])
          if (!m.readOnly) t.equal(m.name, 'data', `${c.name}: ${m.mountPath} writable`);
      }
      // the data volume holds the store, the queue and SQLite's temporary files
      const [c] = containersRunning(w, 'crosstrace-collector');
      const config = configOf(c, SECRETS);
      const data = (c.volumeMounts as K8sObject[]).find((m) => m.name === 'data')!.mountPath as string;
      const sqlite = config.mode === 'agent' || config.storage.startsWith('sqlite:');
      if (config.mode === 'agent') t.ok(config.queuePath.startsWith(`${data}/`), 'queue on the data volume');
      else if (sqlite) t.ok(config.storage.slice(7).startsWith(`${data}/`), 'store on the data volume');
      const tmp = (c.env as K8sObject[]).find((e) => e.name === 'SQLITE_TMPDIR')?.value;
      if (sqlite) t.equal(tmp, data, 'SQLite temp files on the data volume');
      // SIGTERM: --shutdown-timeout for in-flight calls, then the queue drains and stores close
      t.ok(
        spec.terminationGracePeriodSeconds * 1000 >= config.shutdownTimeoutMs + 5000,
        `${w.kind}: ${spec.terminationGracePeriodSeconds}s covers --shutdown-timeout ${config.shutdownTimeoutMs}ms`,
      );
    }
  });

  t.test(`${overlay}: the DaemonSet reads the nodes' logs and knows its node`, async (t) => {
    const [ds] = find(objects, 'DaemonSet');
    const spec = podSpec(ds);
    const volumes = new Map<string, K8sObject>((spec.volumes as K8sObject[]).map((v) => [v.name, v]));
    const hostPathOf = (name: string) => volumes.get(name)?.hostPath?.path as string | undefined;
    for (const c of allContainers(ds))
      for (const m of c.volumeMounts ?? []) {
        const host = hostPathOf(m.name);
        if (host?.startsWith('/var/log')) t.equal(m.readOnly, true, `${c.name}: ${host} read-only`);
      }
    const [bridge] = containersRunning(ds, 'crosstrace-nginx-bridge');
    t.ok(bridge, 'the bridge runs in the DaemonSet pod');
    const mounts = bridge.volumeMounts as K8sObject[];
    const covered = (path: string, writable = false) =>
      mounts.some(
        (m) =>
          (path === m.mountPath || path.startsWith(`${m.mountPath}/`)) &&
          hostPathOf(m.name) !== undefined &&
          (!writable || !m.readOnly),
      );
    const globs = (bridge.args as string[]).filter((a) => !a.startsWith('--'));
    t.ok(globs.length > 0, 'the bridge is given files');
    for (const g of globs) {
      t.ok(covered(g), `${g} is mounted`);
      t.equal(
        hostPathOf(mounts.find((m) => g.startsWith(`${m.mountPath}/`))!.name),
        g.slice(0, g.lastIndexOf('/')),
        'from the same host path',
      );
      // kubelet's /var/log/containers entries are symlinks into /var/log/pods
      if (g.startsWith('/var/log/containers/'))
        t.ok(covered('/var/log/pods/x/y/0.log'), 'symlink targets mounted too');
    }
    const checkpoint = /--checkpoint=(\S+)/.exec(bridge.args.join(' '))?.[1];
    t.ok(checkpoint && covered(checkpoint, true), 'the checkpoint survives restarts on a writable host path');
    t.match(
      bridge.args.join(' '),
      /--endpoint=http:\/\/127\.0\.0\.1:4318/,
      'the bridge sends to its pod’s collector',
    );
    t.equal(bridge.securityContext.runAsGroup, 0, 'reads root:root 0640 log files through the group');
    // the Downward API: node name and pod IP
    const fields = new Set(
      allContainers(ds).flatMap((c) => (c.env ?? []).map((e: K8sObject) => e.valueFrom?.fieldRef?.fieldPath)),
    );
    for (const f of ['spec.nodeName', 'status.podIP', 'metadata.name']) t.ok(fields.has(f), `env from ${f}`);
    t.ok(
      spec.tolerations.some((x: K8sObject) => x.operator === 'Exists'),
      'runs on control-plane nodes too',
    );
    t.equal(spec.hostNetwork, true);
    t.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet', 'resolves Services despite the host network');
  });
}
