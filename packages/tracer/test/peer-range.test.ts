import { readFileSync } from 'node:fs';
import t from 'tap';

// The @opentelemetry/api range the tracer declares must not admit a version its run-time
// OpenTelemetry dependencies cannot run with: with api 1.9, OpenTelemetry JS 3's OTLP exporters fail
// at import (`Named export 'SeverityNumber' not found`), so the app would not start.

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The lowest version a simple range (`^1.10.0`, `>=1.10.0 <1.11.0`) admits, as [major, minor, patch]. */
function floor(range: string): number[] {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(range);
  if (m === null) throw new Error(`no version in ${range}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const atLeast = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

t.test('the declared @opentelemetry/api floor is at least every OpenTelemetry dependency’s', async (t) => {
  const ours = floor(pkg.peerDependencies['@opentelemetry/api']);
  const deps = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@opentelemetry/'));
  t.ok(deps.length >= 5, 'the OpenTelemetry packages the tracer runs on');
  for (const dep of deps) {
    const theirs = JSON.parse(
      readFileSync(new URL(`../node_modules/${dep}/package.json`, import.meta.url), 'utf8'),
    );
    const range = theirs.peerDependencies?.['@opentelemetry/api'];
    if (range === undefined) continue;
    t.ok(
      atLeast(ours, floor(range)) >= 0,
      `${dep} needs ${range}; we declare ${pkg.peerDependencies['@opentelemetry/api']}`,
    );
  }
});
