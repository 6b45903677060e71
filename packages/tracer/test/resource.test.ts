import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createResource, parseResourceAttributes, TRACER_VERSION } from '../src/index.js';
import { memoryTracer } from './helpers/tracer.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

t.test('telemetry.sdk.* name this package and the version in its package.json', async (t) => {
  const a = createResource({ env: {} }).attributes;
  t.equal(a['telemetry.sdk.name'], '@crosstrace/tracer');
  t.equal(a['telemetry.sdk.version'], PACKAGE_VERSION);
  t.equal(TRACER_VERSION, PACKAGE_VERSION);
});

t.test('service name precedence: option > OTEL_SERVICE_NAME > OTEL_RESOURCE_ATTRIBUTES', async (t) => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,team=pay%20ments,bad',
    OTEL_SERVICE_NAME: 'from-env',
  };
  t.equal(createResource({ env }).attributes['service.name'], 'from-env');
  t.equal(createResource({ env, serviceName: 'from-code' }).attributes['service.name'], 'from-code');
  t.equal(
    createResource({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' } }).attributes['service.name'],
    'x',
  );
  t.equal(createResource({ env }).attributes.team, 'pay ments');
  t.match(createResource({ env: {} }).attributes['service.name'], /^unknown_service:/);
  t.same(parseResourceAttributes('a=1,=2,b,c=%E0%A4%A'), { a: '1' });
});

t.test('Kubernetes Downward API variables become k8s.* semantic-convention attributes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ct-tracer-'));
  const nsFile = join(dir, 'namespace');
  await writeFile(nsFile, 'shop\n');
  const a = createResource({
    env: { K8S_POD_NAME: 'web-1', K8S_NODE_NAME: 'node-a', K8S_POD_IP: '10.0.0.7', K8S_POD_UID: 'uid-1' },
    namespaceFile: nsFile,
  }).attributes;
  t.equal(a['k8s.pod.name'], 'web-1');
  t.equal(a['k8s.node.name'], 'node-a');
  t.equal(a['k8s.pod.ip'], '10.0.0.7');
  t.equal(a['k8s.pod.uid'], 'uid-1');
  t.equal(a['k8s.namespace.name'], 'shop', 'from the service-account namespace file');
  const b = createResource({
    env: { K8S_POD_NAME: 'web-1', K8S_NAMESPACE_NAME: 'prod' },
    namespaceFile: nsFile,
  });
  t.equal(b.attributes['k8s.namespace.name'], 'prod', 'the variable wins');
  const c = createResource({ env: {}, namespaceFile: nsFile });
  t.equal(c.attributes['k8s.namespace.name'], undefined, 'outside Kubernetes the file is not read');
});

t.test('tracer resource: code attributes and the layer on every span', async (t) => {
  const { tracer, exporter } = memoryTracer({ resource: { 'deployment.environment.name': 'staging' } });
  tracer.startSpan('x').finish();
  const [s] = exporter.getFinishedSpans();
  t.equal(s.resource.attributes['deployment.environment.name'], 'staging');
  t.equal(s.resource.attributes['service.name'], 'test-svc');
  t.equal(s.attributes['crosstrace.layer'], 'app');
  await tracer.shutdown();
});
