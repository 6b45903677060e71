import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Bridge } from '../src/bridge.js';
import { main } from '../src/cli.js';
import { CollectorStub } from './helpers/collector-stub.js';
import { ingressLines, until } from './helpers/lines.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function io(stdinText?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = { stdout: '', stderr: '' };
  stdout.on('data', (b) => {
    out.stdout += b;
  });
  stderr.on('data', (b) => {
    out.stderr += b;
  });
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);
  return { streams: { stdout, stderr, stdin, signals: false }, out };
}

t.test(
  '--dry-run: one ExportTraceServiceRequest per batch on stdout, summary with bad lines on stderr',
  async (t) => {
    const { streams, out } = io();
    const code = await main(
      [
        '--format',
        'ingress-nginx',
        '--from-beginning',
        '--dry-run',
        '--batch-lines',
        '5',
        fixture('ingress-nginx-upstreaminfo.log'),
        fixture('ingress-nginx-legacy-2019.log'),
      ],
      streams,
    );
    t.equal(code, 0);
    const batches = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.equal(batches.length, 3, '9 lines in batches of 5, then 3 lines');
    type Batch = { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    const spans = (batches as Batch[]).flatMap((b) =>
      b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    t.equal(spans.length, 24);
    for (const b of batches) {
      t.equal(b.resourceSpans[0].resource.attributes[0].key, 'service.name');
      t.ok(Array.isArray(b.resourceSpans[0].scopeSpans[0].spans));
    }
    t.match(out.stderr, /summary: lines=12 spans=24 batches=3 bad=1 \(format-mismatch=1\)/);
    t.match(out.stderr, /bad line \(format-mismatch\): 2019\/06\/07 14:32:28 \[crit\]/);
  },
);

t.test('stdin with --format json', async (t) => {
  const { streams, out } = io(`${readFileSync(fixture('ingress-json-traceparent.log'), 'utf8')}{"broken\n`);
  const code = await main(['--format', 'json', '--dry-run', '--service-name', 'edge'], streams);
  t.equal(code, 0);
  const req = JSON.parse(out.stdout.trim());
  const span = req.resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(span.traceId, '0000000000000000ec70652d4865fdee');
  t.equal(req.resourceSpans[0].resource.attributes[0].value.stringValue, 'edge');
  t.match(out.stderr, /lines=2 spans=1 batches=1 bad=1 \(invalid-json=1\)/);
});

t.test('bad configuration fails at start-up naming the option', async (t) => {
  let r = io();
  t.equal(await main(['--format', 'apache', '-'], r.streams), 2);
  t.match(r.out.stderr, /--format/);
  r = io();
  t.equal(await main(['--log-format', 'no variables', '-'], r.streams), 2);
  t.match(r.out.stderr, /CT_BRIDGE_BAD_LOG_FORMAT/);
  r = io();
  t.equal(await main(['--endpoint', 'not a url', '-'], r.streams), 2);
  t.match(r.out.stderr, /CT_BRIDGE_BAD_OPTION: --endpoint/);
  r = io();
  t.equal(await main(['--ca', '/nonexistent/ca.pem', '-'], r.streams), 2);
  t.match(r.out.stderr, /--ca: cannot read/);
  r = io();
  t.equal(await main(['--batch-lines', 'x', '-'], r.streams), 2);
  r = io();
  const dir = mkdtempSync(join(tmpdir(), 'ct-cli-cp-'));
  const cp = join(dir, 'cp.json');
  writeFileSync(cp, 'not json');
  t.equal(await main(['--checkpoint', cp, '-'], r.streams), 2);
  t.match(r.out.stderr, /CT_BRIDGE_BAD_CHECKPOINT: --checkpoint/);
  rmSync(dir, { recursive: true, force: true });
  r = io();
  t.equal(await main(['--help'], r.streams), 0);
  t.match(r.out.stdout, /--from-beginning/);
  r = io();
  t.equal(await main(['--version'], r.streams), 0);
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.equal(r.out.stdout.trim(), version, '--version prints the version in package.json');
});

t.test('follow mode exports to the collector, checkpoints, and serves /metrics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-cli-'));
  const stub = await new CollectorStub().start();
  t.teardown(async () => {
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'access.log');
  const cp = join(dir, 'cp.json');
  writeFileSync(file, '');
  const { streams, out } = io();
  let bridge: Bridge | undefined;
  let metricsPort: number | undefined;
  const run = main(
    [
      '--format',
      'ingress-nginx',
      '--endpoint',
      stub.url,
      '--checkpoint',
      cp,
      '--metrics-port',
      '0',
      '--poll-interval',
      '20',
      file,
    ],
    {
      ...streams,
      onStart: (b, info) => {
        bridge = b;
        metricsPort = info.metricsPort;
      },
    },
  );
  await until(() => bridge !== undefined && bridge.metrics.counts.files === 1, 20_000, 'the file to be open');
  appendFileSync(file, `${ingressLines(3)}garbage\n`);
  await stub.waitFor(6);
  await until(() => bridge!.metrics.counts.lines === 4, 20_000, 'all lines');
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.match(metrics, /crosstrace_bridge_lines_total 4/);
  t.match(metrics, /crosstrace_bridge_spans_exported_total 6/);
  t.match(metrics, /crosstrace_bridge_bad_lines_total\{reason="format-mismatch"\} 1/);
  t.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  await until(() => {
    try {
      return JSON.parse(readFileSync(cp, 'utf8')).files[file].offset === readFileSync(file).length;
    } catch {
      return false;
    }
  });
  bridge!.stop();
  t.equal(await run, 0);
  t.equal(stub.spans.length, 6);
  t.match(out.stderr, /lines=4 spans=6 batches=1 bad=1/);
});

t.test("--exporter tracer sends through @crosstrace/tracer's createOtlpExporter", async (t) => {
  const stub = await new CollectorStub().start();
  t.teardown(() => stub.stop());
  const { streams, out } = io();
  const code = await main(
    [
      '--format',
      'ingress-nginx',
      '--exporter',
      'tracer',
      '--endpoint',
      stub.url,
      '--from-beginning',
      fixture('ingress-nginx-upstreaminfo.log'),
    ],
    streams,
  );
  t.equal(code, 0);
  t.equal(stub.spans.length, 20);
  t.equal(new Set(stub.spans.map((s) => s.traceId)).size, 8, 'nine lines, two share a request id');
  t.match(out.stderr, /lines=9 spans=20 batches=1 bad=0/);
});
