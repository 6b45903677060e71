// @kubernetes/client-node costs about 1.2 s of CPU to import: a collector loads it only when it
// talks to the API server. Each case runs in a fresh node whose resolve hook reports the library.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runNode } from '../../helpers/cli.js';
import { kubeconfigFor, writeKubeconfig } from '../../helpers/kubeconfig.js';

const MARK = 'RESOLVED @kubernetes/client-node';
const hook = join(mkdtempSync(join(tmpdir(), 'ct-kube-client-')), 'hook.mjs');
writeFileSync(
  hook,
  `import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@kubernetes/client-node') process.stderr.write(${JSON.stringify(`${MARK}\n`)});
    return next(specifier, context);
  },
});
`,
);
// a cluster nobody serves: the watch fails to connect and retries, which is enough here
const env = { KUBECONFIG: writeKubeconfig(kubeconfigFor('http://127.0.0.1:9')) };
const entry = fileURLToPath(new URL('../../../src/index.ts', import.meta.url));

const exitMessage = (r: { code: number | null; err: string }) =>
  r.code === 0 ? 'exits 0' : `exits 0, not ${r.code}: ${r.err}`;

const buildAndClose = (options: string) =>
  runNode(
    [
      '--import',
      hook,
      '--input-type=module',
      '--eval',
      `const { build } = await import(${JSON.stringify(entry)});
const c = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: 0, queryPort: 0, logLevel: 'silent', ${options} });
await c.listen();
await c.close();
console.log('closed');`,
    ],
    env,
  );

t.test('a collector that does not watch never loads the client library', async (t) => {
  const r = await buildAndClose('');
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /closed/);
  t.notMatch(r.err, MARK, 'not loaded');
});

t.test('the CLI does not load it for --version', async (t) => {
  const r = await runNode(['--import', hook, 'src/cli.ts', '--version'], env);
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /^\d+\.\d+\.\d+/);
  t.notMatch(r.err, MARK, 'not loaded');
});

t.test('k8sWatch: true loads it, and the hook sees it', async (t) => {
  const r = await buildAndClose('k8sWatch: true');
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /closed/);
  t.match(r.err, MARK, 'loaded');
});
