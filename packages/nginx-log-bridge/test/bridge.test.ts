import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { Bridge, type BridgeOptions } from '../src/bridge.js';
import { createOtlpSink } from '../src/export/span-sink.js';
import { createParser } from '../src/parse/parse-line.js';
import { Checkpoint } from '../src/tail/checkpoint.js';
import { CollectorStub } from './helpers/collector-stub.js';
import { ingressLines, until } from './helpers/lines.js';

async function setup(t: Test, extra: Partial<BridgeOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bridge-'));
  const stub = await new CollectorStub().start();
  t.teardown(async () => {
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const make = (opts: Partial<BridgeOptions> = {}) =>
    new Bridge({
      parser: createParser({ format: 'ingress-nginx' }),
      sink: createOtlpSink({ endpoint: stub.url, timeoutMillis: 3000 }),
      pollIntervalMs: 20,
      batchLines: 4,
      backoff: { initialMs: 20, maxMs: 200 },
      ...extra,
      ...opts,
    });
  return { dir, stub, make };
}

const unique = (stub: CollectorStub) => new Set(stub.spans.map((s) => s.spanId)).size;

t.test('follow mode starts at the end of existing files and picks up appended lines', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'access.log');
  writeFileSync(file, ingressLines(5));
  const bridge = make();
  const run = bridge.follow([file]);
  await until(() => bridge.metrics.counts.files === 1, 20_000, 'the file to be open');
  appendFileSync(file, ingressLines(10));
  await stub.waitFor(20);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 20, 'only the appended lines, two spans each');
  t.equal(unique(stub), 20);
  t.equal(bridge.metrics.counts.lines, 10);
});

t.test('rotation by rename: the old file is finished, the new one read from its start', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'access.log');
  writeFileSync(file, '');
  const bridge = make();
  const run = bridge.follow([file], { fromBeginning: true });
  appendFileSync(file, ingressLines(10));
  await stub.waitFor(20);
  appendFileSync(file, ingressLines(3)); // written just before the rename
  renameSync(file, `${file}.1`);
  writeFileSync(file, ingressLines(4));
  await stub.waitFor(34);
  appendFileSync(file, ingressLines(2));
  await stub.waitFor(38);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 38);
  t.equal(unique(stub), 38, 'no span twice');
  t.equal(bridge.metrics.counts.rotations, 1);
});

t.test('rotation by copytruncate: the file is read again from byte 0', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'access.log');
  writeFileSync(file, ingressLines(10));
  const bridge = make();
  const run = bridge.follow([file], { fromBeginning: true });
  await stub.waitFor(20);
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  appendFileSync(file, ingressLines(4));
  await stub.waitFor(28);
  appendFileSync(file, ingressLines(1));
  await stub.waitFor(30);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 30);
  t.equal(unique(stub), 30);
  t.equal(bridge.metrics.counts.truncations, 1);
});

t.test('copytruncate of lines without request id gives new ids for the same offsets', async (t) => {
  const { dir, stub, make } = await setup(t, { parser: createParser({ format: 'combined' }) });
  const file = join(dir, 'access.log');
  const line = (s: number) =>
    `10.0.0.1 - - [01/May/2024:10:00:${String(s).padStart(2, '0')} +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n`;
  writeFileSync(file, line(1) + line(2));
  const bridge = make();
  const run = bridge.follow([file], { fromBeginning: true });
  await stub.waitFor(2);
  truncateSync(file, 0);
  writeFileSync(file, line(3) + line(4));
  await stub.waitFor(4);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 4);
  t.equal(new Set(stub.spans.map((s) => s.traceId)).size, 4, 'the rewritten file is another file');
});

t.test('checkpoint: restart resumes exactly, also after a rotation while stopped', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'access.log');
  const cpFile = join(dir, 'state', 'checkpoint.json');
  writeFileSync(file, ingressLines(10));
  const first = make({ checkpoint: Checkpoint.load(cpFile) });
  let run = first.follow([file], { fromBeginning: true });
  await stub.waitFor(20);
  await until(() => {
    try {
      return JSON.parse(readFileSync(cpFile, 'utf8')).files[file].offset === readFileSync(file).length;
    } catch {
      return false;
    }
  });
  first.stop();
  await run;

  appendFileSync(file, ingressLines(5));
  const second = make({ checkpoint: Checkpoint.load(cpFile) });
  run = second.follow([file]);
  await stub.waitFor(30);
  second.stop();
  await run;
  t.equal(stub.spans.length, 30, 'the 5 new lines only');

  appendFileSync(file, ingressLines(2));
  renameSync(file, `${file}.1`);
  writeFileSync(file, ingressLines(3));
  const third = make({ checkpoint: Checkpoint.load(cpFile) });
  run = third.follow([file]);
  await stub.waitFor(40);
  appendFileSync(file, ingressLines(1));
  await stub.waitFor(42);
  third.stop();
  await run;
  t.equal(stub.spans.length, 42, 'rest of the rotated file, then the new file, nothing twice');
  t.equal(unique(stub), 42);
});

t.test('collector outage: reading stops, back-off, then every span exactly once', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'access.log');
  const cpFile = join(dir, 'checkpoint.json');
  writeFileSync(file, '');
  const bridge = make({ checkpoint: Checkpoint.load(cpFile) });
  const run = bridge.follow([file], { fromBeginning: true });
  stub.failWith = 503;
  appendFileSync(file, ingressLines(10));
  await until(() => bridge.metrics.counts.exportFailures >= 2, 20_000, 'failed exports');
  t.equal(stub.spans.length, 0);
  t.equal(bridge.metrics.counts.lines, 4, 'stopped reading after the first batch');
  let cp: { files?: Record<string, unknown> } = {};
  try {
    cp = JSON.parse(readFileSync(cpFile, 'utf8'));
  } catch {}
  t.equal(cp.files?.[file], undefined, 'no checkpoint before an ack');

  // Now the collector is gone altogether (connection refused), then comes back on its port.
  const port = stub.port;
  await stub.stop();
  const failures = bridge.metrics.counts.exportFailures;
  await until(() => bridge.metrics.counts.exportFailures > failures, 20_000, 'refused exports');
  stub.failWith = undefined;
  await stub.start(port);
  await stub.waitFor(20);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 20);
  t.equal(unique(stub), 20);
  t.equal(JSON.parse(readFileSync(cpFile, 'utf8')).files[file].offset, readFileSync(file).length);
});

t.test('container logs (CRI with partial lines) from a glob, stderr set apart', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'ingress-nginx-controller_ns_ctrl-abc.log');
  const [a, b] = ingressLines(2).trim().split('\n');
  const cri =
    `2024-05-01T10:00:00.1Z stdout F ${a}\n` +
    `2024-05-01T10:00:00.2Z stdout P ${b.slice(0, 30)}\n` +
    '2024-05-01T10:00:00.3Z stderr F 2024/05/01 10:00:00 [error] 1#1: upstream timed out\n' +
    `2024-05-01T10:00:00.4Z stdout F ${b.slice(30)}\n`;
  writeFileSync(file, cri);
  const bridge = make();
  await bridge.follow([join(dir, '*ingress-nginx*.log')], { fromBeginning: true, once: true });
  t.equal(stub.spans.length, 4);
  t.equal(bridge.metrics.counts.stderrLines, 1);
  t.equal(bridge.metrics.badLineTotal, 0);
});

t.test('stdin stream with bad lines counted by reason', async (t) => {
  const { stub, make } = await setup(t);
  const logs: string[] = [];
  const bridge = make({ log: (m) => logs.push(m), samplesPerReason: 1 });
  const input = new PassThrough();
  const done = bridge.readStream(input);
  input.write(ingressLines(3));
  input.write('garbage line\nmore garbage\n');
  input.end(ingressLines(1).trimEnd()); // last line without a newline
  await done;
  t.equal(stub.spans.length, 8);
  t.same(bridge.metrics.counts.badLines, { 'format-mismatch': 2 });
  t.equal(logs.filter((l) => l.startsWith('bad line')).length, 1, 'a few samples, not every line');
});

t.test('a deleted file is finished; a file created later under a glob is read from its start', async (t) => {
  const { dir, stub, make } = await setup(t);
  const file = join(dir, 'a.log');
  writeFileSync(file, ingressLines(2));
  const bridge = make();
  const run = bridge.follow([join(dir, '*.log')], { fromBeginning: true });
  await stub.waitFor(4);
  rmSync(file);
  writeFileSync(join(dir, 'b.log'), ingressLines(3));
  await stub.waitFor(10);
  writeFileSync(file, ingressLines(1));
  await stub.waitFor(12);
  bridge.stop();
  await run;
  t.equal(stub.spans.length, 12);
  t.equal(unique(stub), 12);
});
