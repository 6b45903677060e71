import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startOtlpServer } from './helpers/otlp-server.js';

const child = fileURLToPath(new URL('./helpers/exit-child.ts', import.meta.url));

function run(
  endpoint: string,
  mode: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--conditions=crosstrace-source', '--import', 'tsx', child, endpoint, mode],
      {
        stdio: 'inherit',
      },
    );
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

for (const mode of ['sigterm', 'beforeExit']) {
  t.test(`flushOnExit exports queued spans on ${mode}`, async (t) => {
    const server = await startOtlpServer();
    t.teardown(server.close);
    const result = await run(server.url, mode);
    t.equal(server.received.length, 1, 'the queued span was exported before exit');
    t.ok(server.received[0].body.includes(Buffer.from(`span-${mode}`)));
    if (mode === 'sigterm') t.equal(result.signal, 'SIGTERM', 'still dies of SIGTERM after flushing');
    else t.equal(result.code, 0);
  });
}
