// Every overlay renders with kubectl's kustomize, and every object is valid against the
// Kubernetes API schema (kubernetes-models' generated validators).
import t from 'tap';
import { type K8sObject, OVERLAYS, render } from './helpers/render.js';

/** kubernetes-models' class for an object: `v1` for the core group, else `group/version`. */
async function modelOf(o: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = String(o.apiVersion).includes('/')
    ? String(o.apiVersion).split('/')
    : ['', o.apiVersion];
  const mod = (await import(
    group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`
  )) as Record<string, new (data: unknown) => { validate(): void }>;
  const cls = mod[o.kind];
  if (cls === undefined) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return cls;
}

for (const overlay of [...OVERLAYS.map((o) => `overlays/${o}`), 'ingress-nginx']) {
  t.test(`${overlay}: renders and every object validates against the API schema`, async (t) => {
    const objects = render(overlay);
    t.ok(objects.length > 0);
    for (const o of objects) {
      const Model = await modelOf(o);
      t.doesNotThrow(() => new Model(o).validate(), `${o.kind}/${o.metadata?.name}`);
    }
    const names = objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
    t.equal(new Set(names).size, names.length, 'no object twice');
  });
}

t.test('the schema check catches a broken object (the check can fail)', async (t) => {
  const [ds] = render('overlays/single').filter((o) => o.kind === 'DaemonSet');
  const broken = structuredClone(ds);
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'four-three-one-seven';
  const Model = await modelOf(broken);
  t.throws(() => new Model(broken).validate());
});

t.test('the overlays differ where they should', async (t) => {
  const kinds = (o: string) =>
    render(`overlays/${o}`)
      .map((x) => `${x.kind}/${x.metadata.name}`)
      .sort();
  t.notOk(kinds('single').some((k) => k.startsWith('StatefulSet') || k.startsWith('Deployment')));
  t.ok(kinds('agent-gateway').includes('StatefulSet/crosstrace-gateway'));
  t.ok(kinds('postgres').includes('Deployment/crosstrace-gateway'));
});
