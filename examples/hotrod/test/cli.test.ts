import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hotrodCommand } from '../src/demo/process-runtime.js';

function hotrod(args: string[]) {
  return spawnSync(process.execPath, [...hotrodCommand(), ...args], { encoding: 'utf8', timeout: 60_000 });
}

t.test('the command line', async (t) => {
  const help = hotrod(['--help']);
  t.equal(help.status, 0);
  for (const c of ['all', 'frontend', 'customer', 'driver', 'route', 'demo', 'replay', 'record'])
    t.match(help.stdout, c);
  const demoHelp = hotrod(['demo', '--help']);
  for (const f of ['--query-port', '--ingress-port', '--warmup', '--exit']) t.match(demoHelp.stdout, f);
  const bad = hotrod(['frontend', '--fix-route-worker-pool-size', '0']);
  t.not(bad.status, 0);
  t.match(bad.stderr, /fix-route-worker-pool-size/);
  const badDelay = hotrod(['customer', '--fix-db-query-delay', 'soon']);
  t.match(badDelay.stderr, /not a duration/);
  const dir = mkdtempSync(join(tmpdir(), 'hotrod-empty-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = hotrod(['replay', '--exit', '--recording', dir, '--query-port', '0']);
  t.equal(missing.status, 2, 'a missing recording stops with exit code 2');
  t.match(missing.stderr, /CT_HOTROD_BAD_RECORDING/);
});
