import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { benchLine } from '../bench/lines.js';
import { Bridge } from '../src/bridge.js';
import { encodeTraceRequest } from '../src/export/encode-trace-request.js';
import type { ExportOutcome, SpanSink } from '../src/export/span-sink.js';
import { createParser } from '../src/parse/parse-line.js';
import { fixtureLines } from './helpers/fixtures.js';

/** How the test log is written: plain or CRI-wrapped, and whether one line has a non-ASCII byte. */
interface LogShape {
  cri?: boolean;
  nonAscii?: boolean;
}

function logFile(t: { teardown(fn: () => void): void }, shape: LogShape = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bridge-direct-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'access.log');
  const lines = [
    ...fixtureLines('ingress-nginx-upstreaminfo.log'),
    ...fixtureLines('ingress-nginx-legacy-2019.log'),
  ];
  for (let i = 0; i < 250; i++) lines.push(benchLine(i).slice(0, -1));
  // a line that parses but has no usable time: no spans on either path, counted as no-timestamp
  lines.push(lines[0].replace(/\[\d\d\/\w+\/\d{4}:[^\]]+\]/, '[not a time]'));
  // a user agent with a non-ASCII character: its chunk has no ASCII bytes to copy from
  if (shape.nonAscii) lines.splice(100, 0, lines[101].replace('Mozilla', 'Mözilla'));
  const wrapped = shape.cri ? lines.map((l, i) => `2024-05-01T10:00:00.${i}Z stdout F ${l}`) : lines;
  writeFileSync(file, `${wrapped.join('\n')}\n`);
  return file;
}

async function run(file: string, sink: SpanSink, shape: LogShape = {}): Promise<Bridge> {
  const bridge = new Bridge({
    parser: createParser({ format: 'ingress-nginx' }),
    sink,
    batchLines: 64,
    container: shape.cri ? 'cri' : 'none',
    backoff: { initialMs: 1, maxMs: 2 },
  });
  await bridge.follow([file], { fromBeginning: true, once: true });
  return bridge;
}

const SHAPES: [string, LogShape][] = [
  ['plain', {}],
  ['CRI-wrapped', { cri: true }],
  ['with a non-ASCII line', { nonAscii: true }],
];

for (const [shapeName, shape] of SHAPES)
  for (const releases of [false, true])
    t.test(
      `a sink with exportEncoded gets the direct bytes: identical to the object path, batch by batch (${shapeName}${releases ? ', bodies released' : ''})`,
      async (t) => {
        const file = logFile(t, shape);
        const objectBodies: Buffer[] = [];
        const objectSink: SpanSink = {
          async export(spans: ReadableSpan[]) {
            objectBodies.push(Buffer.from(encodeTraceRequest(spans)));
            return { ok: true };
          },
          async shutdown() {},
        };
        const directBodies: Buffer[] = [];
        const memory = new Set<ArrayBufferLike>();
        const counts: number[] = [];
        let objectCalls = 0;
        const directSink: SpanSink = {
          async export() {
            objectCalls++;
            return { ok: true };
          },
          async exportEncoded(body, spanCount) {
            directBodies.push(Buffer.from(body));
            memory.add(body.buffer);
            counts.push(spanCount);
            return { ok: true };
          },
          releasesEncodedBody: releases,
          async shutdown() {},
        };
        const a = await run(file, objectSink, shape);
        const b = await run(file, directSink, shape);
        t.equal(objectCalls, 0, 'export(spans) is not used when exportEncoded exists');
        t.ok(directBodies.length >= 4, 'several batches');
        t.equal(directBodies.length, objectBodies.length);
        for (let i = 0; i < directBodies.length; i++)
          t.ok(
            directBodies[i].equals(objectBodies[i]),
            `batch ${i}: same bytes (${directBodies[i].length} B)`,
          );
        t.same(b.metrics.counts, a.metrics.counts, 'same line, span and bad-line counts');
        t.equal(
          counts.reduce((x, y) => x + y, 0),
          b.metrics.counts.spans,
        );
        t.ok(b.metrics.counts.spans > 500);
        t.equal(b.metrics.counts.badLines['no-timestamp'], 1, 'the line without time');
        t.equal(b.metrics.counts.badLines['format-mismatch'], 1, 'the error-log line');
        if (releases) t.equal(memory.size, 1, 'every batch written into the same memory');
        else t.equal(memory.size, directBodies.length, 'a request of its own per batch: bodies may be kept');
      },
    );

t.test('a failed encoded export is retried with the same bytes, and counted once', async (t) => {
  const file = logFile(t);
  const attempts: Buffer[] = [];
  let fail = 2;
  const sink: SpanSink = {
    async export() {
      throw new Error('not used');
    },
    async exportEncoded(body): Promise<ExportOutcome> {
      attempts.push(Buffer.from(body));
      if (fail-- > 0) return { ok: false, permanent: false, error: new Error('collector down') };
      return { ok: true };
    },
    releasesEncodedBody: true, // the memory is reused only after the batch is acknowledged
    async shutdown() {},
  };
  const bridge = await run(file, sink);
  t.ok(
    attempts[1].equals(attempts[0]) && attempts[2].equals(attempts[0]),
    'the first batch sent three times, same bytes',
  );
  const reference = await run(file, {
    async export() {
      return { ok: true };
    },
    async shutdown() {},
  });
  t.equal(bridge.metrics.counts.spans, reference.metrics.counts.spans, 'spans counted once');
});

t.test(
  'a bridge reading a file and a stream at once, bodies released: each batch as when read alone',
  async (t) => {
    const file = logFile(t);
    const collect = (bodies: string[]): SpanSink => ({
      async export() {
        throw new Error('not used');
      },
      async exportEncoded(body) {
        const copy = Buffer.from(body).toString('hex');
        await new Promise((resolve) => setImmediate(resolve)); // let the other reader write meanwhile
        if (Buffer.from(body).toString('hex') !== copy) throw new Error('body changed before it settled');
        bodies.push(copy);
        return { ok: true };
      },
      releasesEncodedBody: true,
      async shutdown() {},
    });
    const options = (sink: SpanSink) => ({
      parser: createParser({ format: 'ingress-nginx' }),
      sink,
      batchLines: 64,
      container: 'none' as const,
    });
    const alone: string[] = [];
    await new Bridge(options(collect(alone))).follow([file], { fromBeginning: true, once: true });
    await new Bridge(options(collect(alone))).readStream(createReadStream(file, { highWaterMark: 4096 }));
    const together: string[] = [];
    const bridge = new Bridge(options(collect(together)));
    await Promise.all([
      bridge.follow([file], { fromBeginning: true, once: true }),
      bridge.readStream(createReadStream(file, { highWaterMark: 4096 })),
    ]);
    t.ok(alone.length >= 8, `${alone.length} batches`);
    t.same([...together].sort(), [...alone].sort(), 'the same batches, byte for byte');
  },
);
