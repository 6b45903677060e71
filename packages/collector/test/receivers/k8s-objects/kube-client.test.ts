// @kubernetes/client-node costs about 1.2 s of CPU to import: a collector loads it only when it
// talks to the API server. Each case runs in a fresh node whose resolve hook reports the library.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const packageDir = fileURLToPath(new URL('../../..', import.meta.url));
const MARK = 'RESOLVED @kubernetes/client-node';

const dir = mkdtempSync(join(tmpdir(), 'ct-kube-client-'));
const hook = join(dir, 'hook.mjs');
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
const kubeconfig = join(dir, 'config');
writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]',
    'users: [{name: u, user: {}}]',
    'contexts: [{name: c, context: {cluster: none, user: u}}]',
    'current-context: c',
    '',
  ].join('\n'),
);

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=crosstrace-source', '--import', 'tsx', '--import', hook, ...args],
    { cwd: packageDir, env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

const exitMessage = (r: { code: number | null; err: string }) =>
  r.code === 0 ? 'exits 0' : `exits 0, not ${r.code}: ${r.err}`;

const buildAndClose = (options: string) => [
  '--input-type=module',
  '--eval',
  `const { build } = await import(${JSON.stringify(join(packageDir, 'src/index.ts'))});
const c = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: 0, queryPort: 0, logLevel: 'silent', ${options} });
await c.listen();
await c.close();
console.log('closed');`,
];

t.test('a collector that does not watch never loads the client library', async (t) => {
  const r = await run(buildAndClose(''));
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /closed/);
  t.notMatch(r.err, MARK, 'not loaded');
});

t.test('the CLI does not load it for --version', async (t) => {
  const r = await run(['src/cli.ts', '--version']);
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /^\d+\.\d+\.\d+/);
  t.notMatch(r.err, MARK, 'not loaded');
});

t.test('k8sWatch: true loads it, and the hook sees it', async (t) => {
  const r = await run(buildAndClose('k8sWatch: true'));
  t.equal(r.code, 0, exitMessage(r));
  t.match(r.out, /closed/);
  t.match(r.err, MARK, 'loaded');
});
