#!/usr/bin/env node
// Runs every workspace package's tests one after the other, echoes their output, and ends with
// one plain summary line ("Tests: N passed, N failed") that CI reads. Exits 1 on any failure.
// Arguments select packages by folder (`packages/tracer`) and optionally files within one
// (`packages/collector:test/smoke.test.ts,test/cli.test.ts`); none runs everything.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'examples', 'deploy'];
const only = process.argv.slice(2).map((arg) => {
  const [dir, files] = arg.split(':');
  return { dir, files: files === undefined ? [] : files.split(',') };
});
const selected = (d) => only.find((o) => d === o.dir || d.endsWith(`/${o.dir}`));
const dirs = roots
  .flatMap((r) => (existsSync(r) ? readdirSync(r).map((d) => join(r, d)) : []))
  .filter((d) => existsSync(join(d, 'package.json')))
  .filter((d) => JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).scripts?.test)
  .filter((d) => only.length === 0 || selected(d) !== undefined);

function hasTests(dir) {
  const walk = (d) =>
    existsSync(d) &&
    readdirSync(d, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? e.name !== 'fixtures' && walk(join(d, e.name)) : e.name.endsWith('.test.ts'),
    );
  return walk(join(dir, 'test'));
}

let passed = 0;
let failed = 0;
const failures = [];

function run(dir, files) {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['test', ...files], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let text = '';
    const take = (stream, out) =>
      stream.on('data', (b) => {
        text += b.toString();
        out.write(b);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

for (const dir of dirs) {
  const files = only.length === 0 ? [] : selected(dir).files;
  process.stdout.write(
    `\n=== ${dir}${files.length > 0 ? ` (${files.join(', ')})` : ''} on Node ${process.version}\n`,
  );
  if (!hasTests(dir)) {
    process.stdout.write('no tests yet\n');
    continue;
  }
  const { code, text } = await run(dir, files);
  // tap's closing line: "# { total: 25, pass: 23, fail: 2, skip: 0 }"
  const m = [...text.matchAll(/#\s*\{\s*total:\s*(\d+),\s*pass:\s*(\d+)(?:,\s*fail:\s*(\d+))?/g)].at(-1);
  const pass = m ? Number(m[2]) : 0;
  const fail = m ? Number(m[3] ?? 0) : 0;
  passed += pass;
  failed += fail;
  if (code !== 0 || !m) {
    failures.push(`${dir} (exit ${code}${m ? '' : ', no tap summary'})`);
    if (fail === 0) failed += 1;
  }
}

process.stdout.write('\n');
if (failures.length > 0) process.stdout.write(`Failed packages: ${failures.join(', ')}\n`);
process.stdout.write(`Tests: ${passed} passed, ${failed} failed\n`);
process.exit(failures.length > 0 ? 1 : 0);
