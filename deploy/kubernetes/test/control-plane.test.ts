// The files for the control-plane nodes and ingress-nginx: the audit policy never records a Secret
// or ConfigMap body and keeps what stitching reads; the audit webhook, the apiserver's and the
// kubelet's tracing point at ports and routes the node's collector serves; the ingress-nginx log
// format is the one the bridge is told, and it parses.
import { build, createDefaultConfig } from '@crosstrace/collector';
import { compileLogFormat } from '@crosstrace/nginx-log-bridge';
import t from 'tap';
import { configOf } from './helpers/collector-config.js';
import {
  containersRunning,
  find,
  type K8sObject,
  OVERLAYS,
  podSpec,
  readYaml,
  render,
} from './helpers/render.js';

type AuditRule = K8sObject;
const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'];

/**
 * The level the policy gives a request, as kube-apiserver decides it (first matching rule), or
 * the highest level any rule that might match (users, namespaces unknown) could give before a rule
 * that surely matches.
 */
function worstLevel(policy: K8sObject, req: { group: string; resource: string; verb: string }): string {
  let worst = 'None';
  for (const r of policy.rules as AuditRule[]) {
    if (r.nonResourceURLs !== undefined) continue;
    if (r.verbs !== undefined && !r.verbs.includes(req.verb)) continue;
    if (
      r.resources !== undefined &&
      !r.resources.some(
        (g: K8sObject) =>
          (g.group ?? '') === req.group && (g.resources === undefined || g.resources.includes(req.resource)),
      )
    )
      continue;
    if (LEVELS.indexOf(r.level) > LEVELS.indexOf(worst)) worst = r.level;
    const conditional = r.users ?? r.userGroups ?? r.namespaces;
    if (conditional === undefined) return worst;
  }
  return worst;
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

t.test('the audit policy never records a Secret or ConfigMap body', async (t) => {
  const policy = readYaml('control-plane/audit-policy.yaml');
  t.equal(policy.apiVersion, 'audit.k8s.io/v1');
  t.equal(policy.kind, 'Policy');
  for (const resource of ['secrets', 'configmaps'])
    for (const verb of VERBS) {
      const level = worstLevel(policy, { group: '', resource, verb });
      t.ok(['None', 'Metadata'].includes(level), `${verb} ${resource}: ${level}`);
    }
  // the check itself: a policy logging bodies of everything would fail it
  const leaky = { ...policy, rules: [{ level: 'RequestResponse' }, ...policy.rules] };
  t.equal(worstLevel(leaky, { group: '', resource: 'secrets', verb: 'create' }), 'RequestResponse');
  const conditional = { ...policy, rules: [{ level: 'Request', users: ['admin'] }, ...policy.rules] };
  t.equal(worstLevel(conditional, { group: '', resource: 'configmaps', verb: 'update' }), 'Request');
});

t.test('the audit policy keeps what stitching reads', async (t) => {
  const policy = readYaml('control-plane/audit-policy.yaml');
  const writes = ['create', 'update', 'patch', 'delete'];
  for (const [group, resource] of [
    ['', 'pods'],
    ['', 'pods/eviction'],
    ['apps', 'deployments'],
    ['apps', 'replicasets'],
    ['discovery.k8s.io', 'endpointslices'],
  ])
    for (const verb of writes)
      t.not(
        worstLevel(policy, { group, resource, verb }),
        'None',
        `${verb} ${group}/${resource} is recorded`,
      );
  t.notOk(
    (policy.omitStages ?? []).includes('ResponseComplete'),
    'the last stage (end time, status) is kept',
  );
});

const nodeAgent = () => {
  const [ds] = find(render('overlays/single'), 'DaemonSet');
  return { ds, config: configOf(containersRunning(ds, 'crosstrace-collector')[0]) };
};

function hostPort(endpoint: string): { host: string; port: number } {
  const u = new URL(endpoint.includes('://') ? endpoint : `grpc://${endpoint}`);
  return { host: u.hostname, port: Number(u.port) };
}

t.test(
  'the apiserver and the kubelet export to the OTLP/gRPC port of the collector on their node',
  async (t) => {
    const { ds, config } = nodeAgent();
    t.equal(config.otlpGrpcPort, createDefaultConfig().otlpGrpcPort);
    const apiserver = readYaml('control-plane/apiserver-tracing.yaml');
    t.match(apiserver, {
      apiVersion: /^apiserver\.config\.k8s\.io\/v1(beta1)?$/,
      kind: 'TracingConfiguration',
    });
    const kubelet = readYaml('control-plane/kubelet-tracing.yaml');
    t.match(kubelet, { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration' });
    for (const [name, endpoint, rate] of [
      ['apiserver', apiserver.endpoint, apiserver.samplingRatePerMillion],
      ['kubelet', kubelet.tracing.endpoint, kubelet.tracing.samplingRatePerMillion],
    ]) {
      const { host, port } = hostPort(endpoint);
      t.equal(port, config.otlpGrpcPort, `${name} → the collector's --otlp-grpc-port`);
      t.equal(host, '127.0.0.1', `${name} → the node itself`);
      t.ok(rate > 0 && rate <= 1_000_000, `${name} samples`);
    }
    t.equal(podSpec(ds).hostNetwork, true, '127.0.0.1 on the node reaches the DaemonSet pod');
    for (const overlay of OVERLAYS) {
      const [agent] = find(render(`overlays/${overlay}`), 'DaemonSet');
      const grpc = containersRunning(agent, 'crosstrace-collector')[0].ports.find(
        (p: K8sObject) => p.name === 'otlp-grpc',
      );
      t.equal(grpc.hostPort, config.otlpGrpcPort, `${overlay}: the node's port is the collector's`);
    }
  },
);

t.test('the audit webhook posts to a route the collector serves, on its OTLP/HTTP port', async (t) => {
  const { config } = nodeAgent();
  const kubeconfig = readYaml('control-plane/audit-webhook-kubeconfig.yaml');
  t.equal(kubeconfig.kind, 'Config');
  const current = kubeconfig.contexts.find((c: K8sObject) => c.name === kubeconfig['current-context']);
  const cluster = kubeconfig.clusters.find((c: K8sObject) => c.name === current.context.cluster);
  const url = new URL(cluster.cluster.server);
  t.equal(Number(url.port), config.otlpHttpPort);
  t.equal(url.hostname, '127.0.0.1');
  const collector = await build({ storage: 'memory', logLevel: 'silent', otlpGrpcPort: -1 });
  t.teardown(() => collector.close());
  // an audit.k8s.io EventList as the webhook backend sends it
  const res = await collector.otlpHttp.inject({
    method: 'POST',
    url: url.pathname,
    headers: { 'content-type': 'application/json' },
    payload: {
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [
        {
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: 'Metadata',
          auditID: '6f1c1e7e-9d36-4c1a-9bde-0d2b2f7f7b10',
          stage: 'ResponseComplete',
          requestURI: '/api/v1/namespaces/shop/pods/web-1',
          verb: 'delete',
          user: { username: 'kubectl' },
          objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1', apiVersion: 'v1' },
          responseStatus: { code: 200 },
          requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z',
          stageTimestamp: '2026-01-01T00:00:00.012000Z',
        },
      ],
    },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().accepted.auditEvents, 1);
});

t.test(
  'ingress-nginx logs what the bridge in the DaemonSet is told to read, $msec and $req_id included',
  async (t) => {
    const [cm] = render('ingress-nginx');
    const format = cm.data['log-format-upstream'] as string;
    for (const overlay of OVERLAYS) {
      const [ds] = find(render(`overlays/${overlay}`), 'DaemonSet');
      const [bridge] = containersRunning(ds, 'crosstrace-nginx-bridge');
      const given = (bridge.args as string[])
        .find((a) => a.startsWith('--log-format='))
        ?.slice('--log-format='.length);
      t.equal(given, format, `${overlay}: --log-format = log-format-upstream`);
      t.ok((bridge.args as string[]).includes('--container=cri'), 'the pods’ logs are CRI-wrapped');
    }
    const parser = compileLogFormat(format);
    t.ok(parser.variables.includes('msec') && parser.variables.includes('req_id'));
    const line =
      '10.0.0.1 - - [01/Jan/2026:00:00:01 +0000] "GET /api/items HTTP/1.1" 502 150 "-" "curl/8.5" 80 0.005 ' +
      '[shop-web-8080] [] 10.244.1.7:8080 0 0.004 502 8ff49b6f772632716c43069c43a8c3b7 1767225601.123';
    const parsed = parser.parse(line);
    t.equal(parsed.ok, true, 'a line in that format parses');
  },
);
