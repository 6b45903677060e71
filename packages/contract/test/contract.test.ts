import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { isLayer, LAYER_ATTRIBUTE, Layer, REQUEST_ID_ATTRIBUTE } from '../src/index.js';

t.test('the layers and the shared attribute names', async (t) => {
  t.same(Layer, { ControlPlane: 'control-plane', Ingress: 'ingress', App: 'app' });
  t.ok(isLayer('ingress'));
  t.ok(isLayer('control-plane'));
  t.notOk(isLayer('database'));
  t.notOk(isLayer(3));
  t.equal(LAYER_ATTRIBUTE, 'crosstrace.layer');
  t.equal(REQUEST_ID_ATTRIBUTE, 'http.request.header.x-request-id');
});

t.test('no dependencies: none declared, sources import only node: built-ins and each other', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.same(pkg.dependencies ?? {}, {});
  t.same(pkg.peerDependencies ?? {}, {});
  const dir = new URL('../src/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
      t.ok(specifier.startsWith('./') || specifier.startsWith('node:'), `${file}: ${specifier}`);
    }
  }
});
