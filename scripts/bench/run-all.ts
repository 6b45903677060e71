// `pnpm bench`: runs every package's bench/ (each compares against its peer in the same process
// run) and prints one table. Benchmarks never decide pass/fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchRow, formatTable } from './record.js';

const only = process.argv.slice(2);
const dirs = ['packages', 'examples']
  .flatMap((r) => (existsSync(r) ? readdirSync(r).map((d) => join(r, d)) : []))
  .filter((d) => existsSync(join(d, 'bench', 'index.ts')))
  .filter((d) => only.length === 0 || only.some((o) => d.includes(o)));

const out = join(mkdtempSync(join(tmpdir(), 'crosstrace-bench-')), 'rows.jsonl');
const failed: string[] = [];
for (const dir of dirs) {
  process.stdout.write(`\n=== ${dir}\n`);
  const r = spawnSync('pnpm', ['bench'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, CROSSTRACE_BENCH_OUT: out },
  });
  if (r.status !== 0) failed.push(dir);
}
const rows: BenchRow[] = existsSync(out)
  ? readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
process.stdout.write(`\n${formatTable(rows)}\n`);
if (failed.length > 0) {
  process.stderr.write(`benchmarks that did not finish: ${failed.join(', ')}\n`);
  process.exit(1);
}
