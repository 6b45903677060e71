// agent-gateway and postgres: the agents find the gateways through the headless Service (ready
// pods' A records) on the ports the gateways open; the postgres gateways get their URL from a Secret.
import t from 'tap';
import { configOf } from './helpers/collector-config.js';
import { containersRunning, find, type K8sObject, podSpec, render } from './helpers/render.js';

for (const overlay of ['agent-gateway', 'postgres'] as const) {
  t.test(`${overlay}: agents → headless Service → gateways`, async (t) => {
    const objects = render(`overlays/${overlay}`);
    const [ds] = find(objects, 'DaemonSet');
    const agent = configOf(containersRunning(ds, 'crosstrace-collector')[0]);
    t.equal(agent.mode, 'agent');
    const [svc] = find(objects, 'Service', 'crosstrace-gateway');
    t.equal(svc.spec.clusterIP, 'None', 'headless: one A record per gateway');
    t.notOk(svc.spec.publishNotReadyAddresses, 'only ready gateways join the ring');
    t.equal(agent.gatewayDns, `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`);
    const gw = [...find(objects, 'StatefulSet'), ...find(objects, 'Deployment')];
    t.equal(gw.length, 1);
    t.same(svc.spec.selector, gw[0].spec.selector.matchLabels, 'the Service selects the gateways');
    const gwConfig = configOf(containersRunning(gw[0], 'crosstrace-collector')[0], {
      'crosstrace-postgres/url': 'postgres://crosstrace@db:5432/crosstrace',
    });
    t.equal(gwConfig.mode, 'standalone');
    const svcPort = (name: string) => svc.spec.ports.find((p: K8sObject) => p.name === name);
    const wanted = agent.gatewayProtocol === 'grpc' ? 'otlp-grpc' : 'otlp-http';
    t.equal(svcPort(wanted).port, agent.gatewayPort, `the agents' --gateway-port is the Service's ${wanted}`);
    t.equal(svcPort(wanted).port, gwConfig[wanted === 'otlp-grpc' ? 'otlpGrpcPort' : 'otlpHttpPort']);
    t.equal(svcPort('otlp-http').port, agent.gatewayHttpPort, 'control-plane broadcast port');
    t.equal(svcPort('otlp-http').port, gwConfig.otlpHttpPort);
    t.ok(gw[0].spec.replicas >= 2, 'more than one gateway');
    const [pdb] = find(objects, 'PodDisruptionBudget');
    t.same(pdb.spec.selector.matchLabels, gw[0].spec.selector.matchLabels);
    if (overlay === 'postgres') {
      const c = containersRunning(gw[0], 'crosstrace-collector')[0];
      t.notOk(
        (c.args as string[]).some((a) => a.startsWith('--storage')),
        'no URL in the manifest',
      );
      const env = (c.env as K8sObject[]).find((e) => e.name === 'CROSSTRACE_STORAGE');
      t.same(env.valueFrom.secretKeyRef, { name: 'crosstrace-postgres', key: 'url' });
      t.match(gwConfig.storage, /^postgres:\/\//);
      t.equal(gw[0].kind, 'Deployment', 'stateless gateways');
      t.equal(gwConfig.stitchingIndexSpans, 0, 'joins search the shared store, not one gateway’s memory');
    } else {
      t.equal(gw[0].kind, 'StatefulSet');
      t.equal(gw[0].spec.serviceName, svc.metadata.name);
      t.ok(
        gw[0].spec.volumeClaimTemplates.some((v: K8sObject) => v.metadata.name === 'data'),
        'SQLite on its own volume',
      );
      t.equal(
        podSpec(gw[0]).securityContext.fsGroup,
        podSpec(gw[0]).securityContext.runAsGroup,
        'the volume is writable by the user',
      );
    }
  });
}
