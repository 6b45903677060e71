// `crosstrace-collector import` streams a large audit log in bounded memory: a file of ~30 MB
// goes through a process whose whole JavaScript heap is capped at 128 MB (about 70 of which the
// collector's code takes), where reading the file at once fails.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { openSqliteStore } from '../../src/storage/index.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('NODE_') && !k.includes('TAP')) env[k] = v;
  return env;
}
const IDS = 12_000;

async function writeAuditLog(path: string): Promise<void> {
  const out = createWriteStream(path);
  const pad = 'x'.repeat(900);
  for (let i = 0; i < IDS; i++) {
    const auditID = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    for (const stage of ['RequestReceived', 'ResponseComplete']) {
      const at = Date.UTC(2026, 0, 10, 12) + i;
      const line = JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'RequestResponse',
        auditID,
        stage,
        requestURI: `/api/v1/namespaces/shop/pods/p${i}`,
        verb: 'get',
        user: { username: 'system:node:n1' },
        objectRef: { resource: 'pods', namespace: 'shop', name: `p${i}` },
        requestReceivedTimestamp: new Date(at).toISOString(),
        stageTimestamp: new Date(at + (stage === 'RequestReceived' ? 0 : 3)).toISOString(),
        responseObject: { kind: 'Pod', metadata: { name: `p${i}` }, spec: { note: pad } },
      });
      if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  out.end();
  await new Promise<void>((r) => out.on('finish', () => r()));
}

t.test('a 30 MB audit log imported with the heap capped at 128 MB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-import-big-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'audit.log');
  await writeAuditLog(log);
  const db = join(dir, 'c.db');
  // through a shell that drops NODE_OPTIONS: the test runner's hooks (loaders, source maps,
  // process info) would otherwise follow into the child and share its heap
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'unset NODE_OPTIONS; exec "$0" "$@"',
      process.execPath,
      '--max-old-space-size=128',
      '--conditions=crosstrace-source',
      '--import',
      'tsx',
      'src/cli.ts',
      'import',
      log,
      '--storage',
      `sqlite:${db}`,
      '--log-level',
      'silent',
    ],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, `exits 0 (stderr: ${err.slice(0, 300)})`);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  t.equal(result.auditEvents, 2 * IDS);
  t.equal(result.spans, IDS);
  const store = await openSqliteStore({ path: db });
  t.teardown(() => store.close());
  const trace = await store.getTrace('00002edf000040008000000000000000');
  t.equal(trace.length, 1);
  t.equal(trace[0].events.length, 2, 'both stages of the last audit id in its span');
});
