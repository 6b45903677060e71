// The CLI as users run it: a child process on a SQLite file; SIGTERM drains; kill -9 loses no
// acknowledged span.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openSqliteStore } from '../src/storage/index.js';
import { runCli, startCli } from './helpers/cli.js';
import { encodeRequest } from './helpers/proto.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const dir = mkdtempSync(join(tmpdir(), 'crosstrace-cli-'));
const PORTS = ['--otlp-http-port', '0', '--otlp-grpc-port', '0', '--query-port', '0', '--log-level', 'warn'];

function batch(traceId: Buffer, n: number): Buffer {
  const spans = [];
  for (let i = 0; i < n; i++) {
    const spanId = Buffer.alloc(8);
    spanId.writeUInt32BE(i + 1, 4);
    spans.push({
      traceId,
      spanId,
      name: `op-${i % 7}`,
      kind: 2,
      startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n + 1000n),
      attributes: [{ key: 'http.route', value: { stringValue: `/r/${i % 13}` } }],
    });
  }
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'load' } }] };
  return encodeRequest({ resourceSpans: [{ resource, scopeSpans: [{ spans }] }] });
}

t.test(
  '--help lists the options, --version prints the version, a bad option fails fast naming it',
  async (t) => {
    const [help, version, bad] = await Promise.all([
      runCli(['--help']),
      runCli(['--version']),
      runCli(['--storage', 'mysql:x']),
    ]);
    t.equal(help.code, 0);
    for (const flag of [
      '--storage',
      '--otlp-http-port',
      '--otlp-grpc-port',
      '--query-port',
      '--host',
      '--config',
    ]) {
      t.match(help.out, flag);
    }
    t.equal(version.code, 0);
    t.equal(version.out.trim(), PACKAGE_VERSION, '--version prints the version in package.json');
    t.equal(bad.code, 1);
    t.match(bad.err, /CT_COLLECTOR_CONFIG: --storage/);
  },
);

t.test('import FILE… stores Kubernetes files through the pipeline', async (t) => {
  const db = join(dir, 'import.db');
  const r = await runCli([
    'import',
    '--storage',
    `sqlite:${db}`,
    '--log-level',
    'warn',
    'test/fixtures/kubernetes/events-deployment-rollout.yaml',
  ]);
  t.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out) as { files: number; objects: number; spans: number };
  t.equal(result.files, 1);
  t.ok(result.objects > 0 && result.spans > 0, `${result.objects} objects, ${result.spans} spans`);
  const store = await openSqliteStore({ path: db });
  t.ok((await store.getServices()).length > 0, 'spans stored');
  await store.close();
});

t.test('ports 0 are printed; SIGTERM drains and exits 0; data survives a restart', async (t) => {
  const db = join(dir, 'term.db');
  const cli = await startCli(['--storage', `sqlite:${db}`, ...PORTS]);
  const traceId = randomBytes(16);
  const res = await fetch(`http://127.0.0.1:${cli.ports.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: batch(traceId, 10),
  });
  t.equal(res.status, 200);
  const ready = await fetch(`http://127.0.0.1:${cli.ports.query}/readyz`);
  t.equal(ready.status, 200);
  cli.child.kill('SIGTERM');
  t.same(await cli.exited, { code: 0, signal: null }, 'clean exit on SIGTERM');
  const again = await startCli(['--storage', `sqlite:${db}`, ...PORTS]);
  const trace = await fetch(`http://127.0.0.1:${again.ports.query}/api/traces/${traceId.toString('hex')}`);
  const body = (await trace.json()) as { data: { spans: unknown[] }[] };
  t.equal(body.data[0].spans.length, 10);
  again.child.kill('SIGTERM');
  await again.exited;
});

t.test('kill -9 during sustained ingest loses no acknowledged span', async (t) => {
  const db = join(dir, 'kill.db');
  const cli = await startCli(['--storage', `sqlite:${db}`, ...PORTS]);
  const url = `http://127.0.0.1:${cli.ports.otlpHttp}/v1/traces`;
  const acked: Buffer[] = [];
  let sent = 0;
  let killed = false;
  const SPANS = 200;
  async function sender(): Promise<void> {
    while (!killed) {
      const traceId = randomBytes(16);
      sent++;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: batch(traceId, SPANS),
        });
        await res.arrayBuffer();
        if (res.status === 200) acked.push(traceId);
      } catch {
        // connection reset by the kill: not acknowledged
      }
    }
  }
  const senders = [sender(), sender(), sender(), sender()];
  while (acked.length < 100) await new Promise((r) => setTimeout(r, 20));
  cli.child.kill('SIGKILL');
  killed = true;
  const exit = await cli.exited;
  t.equal(exit.signal, 'SIGKILL');
  await Promise.all(senders);
  t.ok(acked.length >= 100, `${acked.length} of ${sent} batches acknowledged before the kill`);
  const store = await openSqliteStore({ path: db });
  let missing = 0;
  for (const traceId of acked) {
    const spans = await store.getTrace(traceId.toString('hex'));
    if (spans.length !== SPANS) missing++;
  }
  await store.close();
  t.equal(missing, 0, `all ${acked.length * SPANS} acknowledged spans are stored`);
});
