#!/usr/bin/env node
// Type-checks the whole repository: every workspace package's `src` (its tsconfig.json, built
// through project references), its tests, benches and eval scripts (its tsconfig.test.json,
// no output) and the root scripts (scripts/tsconfig.json). A package with TypeScript under
// test/, bench/ or eval/ but no tsconfig.test.json fails here, so no test goes unchecked.
// Arguments select packages by folder (`packages/tracer`); none checks everything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const roots = ['packages', 'examples'];
const only = process.argv.slice(2);
const dirs = roots
  .flatMap((r) => (existsSync(r) ? readdirSync(r).map((d) => join(r, d)) : []))
  .filter((d) => existsSync(join(d, 'package.json')))
  .filter((d) => only.length === 0 || only.some((o) => d === o || d.endsWith(`/${o}`)));

const hasTypeScript = (dir) =>
  existsSync(dir) &&
  readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory()
      ? e.name !== 'fixtures' && e.name !== 'node_modules' && hasTypeScript(join(dir, e.name))
      : e.name.endsWith('.ts'),
  );

const projects = [];
const unchecked = [];
for (const dir of dirs) {
  if (existsSync(join(dir, 'tsconfig.test.json'))) projects.push(join(dir, 'tsconfig.test.json'));
  else if (['test', 'bench', 'eval'].some((sub) => hasTypeScript(join(dir, sub)))) unchecked.push(dir);
  else if (existsSync(join(dir, 'tsconfig.json'))) projects.push(join(dir, 'tsconfig.json'));
}
if (unchecked.length > 0) {
  process.stderr.write(
    `typecheck: ${unchecked.join(', ')} ha${unchecked.length === 1 ? 's' : 've'} tests, benches or eval ` +
      'scripts but no tsconfig.test.json (copy the one of packages/tracer)\n',
  );
  process.exit(1);
}
if (only.length === 0) projects.push('scripts/tsconfig.json');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-b', ...projects], { stdio: 'inherit' });
if (run.error !== undefined) process.stderr.write(`typecheck: ${run.error.message}\n`);
process.exit(run.status ?? 1);
