// `pnpm bench` in @crosstrace/collector: runs every bench/*.bench.ts in turn (each exports a default
// `run()` that reports its rows through scripts/bench/record.ts).
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const only = process.argv.slice(2);
const dir = new URL('.', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n--- bench/${f}\n`);
  try {
    const mod = (await import(pathToFileURL(new URL(f, dir).pathname).href)) as {
      default?: () => Promise<void>;
    };
    if (typeof mod.default === 'function') await mod.default();
  } catch (err) {
    failed++;
    process.stderr.write(
      `bench/${f} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}
if (failed > 0) process.exitCode = 1;
