import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CollectorStub } from './helpers/collector-stub.js';
import { ingressLines, until } from './helpers/lines.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

function bridge(args: string[]): { child: ChildProcess; done: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--conditions=crosstrace-source', '--import', 'tsx', cli, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b) => {
    stderr += b;
  });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done, stderr: () => stderr };
}

t.test(
  'killed (SIGKILL) while a batch waits for its ack: the restart sends every line, none twice',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-restart-'));
    const stub = await new CollectorStub().start();
    t.teardown(async () => {
      await stub.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'access.log');
    const cp = join(dir, 'cp.json');
    const text = ingressLines(50);
    writeFileSync(file, text);
    const args = [
      '--format',
      'ingress-nginx',
      '--endpoint',
      stub.url,
      '--checkpoint',
      cp,
      '--batch-lines',
      '5',
    ];

    stub.hangAfter = 3; // three batches acknowledged, the fourth never
    const first = bridge([...args, '--from-beginning', file]);
    await until(() => stub.requests >= 4, 60_000, 'the fourth export');
    first.child.kill('SIGKILL');
    await first.done;
    t.equal(stub.spans.length, 30, 'three batches of five lines arrived');
    const afterFifteen = text.split('\n').slice(0, 15).join('\n').length + 1;
    t.equal(
      JSON.parse(readFileSync(cp, 'utf8')).files[file].offset,
      afterFifteen,
      'checkpoint after the last ack',
    );

    stub.hangAfter = undefined;
    const second = bridge([...args, '--from-beginning', file]);
    t.equal(await second.done, 0, second.stderr());
    t.equal(stub.spans.length, 100, 'the 35 remaining lines');
    t.equal(new Set(stub.spans.map((s) => s.spanId)).size, 100, 'no span twice');
    t.match(second.stderr(), /lines=35 spans=70/);
  },
);
