// Two bridges in one process share no state: each owns its caches and "last seen" values, so what
// one bridge made is never handed to another, a dropped bridge leaves nothing behind, and bridges
// running side by side write exactly what each writes alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { benchLine } from '../bench/lines.js';
import { Bridge, type BridgeOptions } from '../src/bridge.js';
import type { SpanSink } from '../src/export/span-sink.js';
import { createParser } from '../src/parse/parse-line.js';
import { fixtureLines } from './helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function logFile(t: { teardown(fn: () => void): void }, name: string, lines: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bridge-isolation-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Fixture lines, then generated ones (retries every 50th): upstreams, pods, methods and statuses. */
function mixedLines(from: number, n: number): string[] {
  const lines = [
    ...fixtureLines('ingress-nginx-upstreaminfo.log'),
    ...fixtureLines('ingress-nginx-legacy-2019.log'),
  ];
  for (let i = from; i < from + n; i++) lines.push(benchLine(i).slice(0, -1));
  return lines;
}

/** A sink that keeps span objects (no `exportEncoded`: the bridge builds spans). */
function objectSink(): { sink: SpanSink; spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return {
    spans,
    sink: {
      async export(batch) {
        spans.push(...batch);
        return { ok: true };
      },
      async shutdown() {},
    },
  };
}

/** A sink that takes encoded requests, keeping a copy of each body (the bridge may reuse its memory). */
function encodedSink(): { sink: SpanSink; bodies: Buffer[] } {
  const bodies: Buffer[] = [];
  return {
    bodies,
    sink: {
      async export() {
        throw new Error('the direct path sends encoded requests');
      },
      async exportEncoded(body) {
        bodies.push(Buffer.from(body));
        return { ok: true };
      },
      releasesEncodedBody: true,
      async shutdown() {},
    },
  };
}

function bridge(sink: SpanSink, options: Partial<BridgeOptions> = {}): Bridge {
  return new Bridge({
    parser: createParser({ format: 'ingress-nginx' }),
    sink,
    container: 'none',
    ...options,
  });
}

t.test('what one bridge made is never handed to another with the same options', async (t) => {
  const file = logFile(t, 'access.log', mixedLines(0, 200));
  const a = objectSink();
  const b = objectSink();
  await bridge(a.sink).follow([file], { fromBeginning: true, once: true });
  await bridge(b.sink).follow([file], { fromBeginning: true, once: true });
  t.ok(a.spans.length > 200);
  t.equal(b.spans.length, a.spans.length, 'the same lines give the same spans');
  const resourcesOfA = new Set<Resource>(a.spans.map((s) => s.resource));
  t.equal(resourcesOfA.size, 1, 'one resource for all the spans of a bridge');
  t.notOk(
    b.spans.some((s) => resourcesOfA.has(s.resource)),
    "no span of the second bridge has the first bridge's resource object",
  );
});

t.test('a dropped bridge leaves nothing behind: its resource and its request memory are freed', async (t) => {
  const file = logFile(t, 'access.log', mixedLines(0, 200));
  // Everything that refers to the bridges stays inside this function; only weak references leave it.
  const run = async () => {
    const objects = objectSink();
    await bridge(objects.sink).follow([file], { fromBeginning: true, once: true });
    let body: Uint8Array | undefined;
    const encoded = bridge({
      async export() {
        throw new Error('the direct path sends encoded requests');
      },
      async exportEncoded(b) {
        body = b;
        return { ok: true };
      },
      releasesEncodedBody: true,
      async shutdown() {},
    });
    await encoded.follow([file], { fromBeginning: true, once: true });
    if (body === undefined) throw new Error('the direct path sent no request');
    return { resource: new WeakRef(objects.spans[0].resource), memory: new WeakRef(body.buffer) };
  };
  const refs = await run();
  for (let i = 0; i < 10 && (refs.resource.deref() !== undefined || refs.memory.deref() !== undefined); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
  t.equal(refs.resource.deref(), undefined, "the first bridge's resource is collected");
  t.equal(refs.memory.deref(), undefined, "the second bridge's request memory is collected");
});

t.test('bridges side by side write exactly what each writes alone', async (t) => {
  // Different resources, namespaces and lines; batches of a few lines, so the two alternate.
  const fileA = logFile(t, 'a.log', mixedLines(0, 300));
  const fileB = logFile(t, 'b.log', mixedLines(5000, 300).reverse());
  const optionsA: Partial<BridgeOptions> = {
    batchLines: 7,
    spans: { serviceName: 'edge-a', resourceAttributes: { 'k8s.pod.name': 'ingress-a' } },
  };
  const optionsB: Partial<BridgeOptions> = {
    batchLines: 5,
    spans: { serviceName: 'edge-b', namespaces: ['default-web'] },
  };
  for (const direct of [true, false]) {
    const alone = async (file: string, options: Partial<BridgeOptions>) => {
      const s = direct ? encodedSink() : objectSink();
      await bridge(s.sink, options).follow([file], { fromBeginning: true, once: true });
      return s;
    };
    const aloneA = await alone(fileA, optionsA);
    const aloneB = await alone(fileB, optionsB);
    const sideA = direct ? encodedSink() : objectSink();
    const sideB = direct ? encodedSink() : objectSink();
    await Promise.all([
      bridge(sideA.sink, optionsA).follow([fileA], { fromBeginning: true, once: true }),
      bridge(sideB.sink, optionsB).follow([fileB], { fromBeginning: true, once: true }),
    ]);
    const path = direct ? 'direct path' : 'object path';
    if ('bodies' in sideA && 'bodies' in aloneA && 'bodies' in sideB && 'bodies' in aloneB) {
      t.ok(sideA.bodies.length > 10, `${path}: many batches`);
      t.same(sideA.bodies, aloneA.bodies, `${path}: the first bridge's requests, byte for byte`);
      t.same(sideB.bodies, aloneB.bodies, `${path}: the second bridge's requests, byte for byte`);
    } else if ('spans' in sideA && 'spans' in aloneA && 'spans' in sideB && 'spans' in aloneB) {
      const view = (spans: ReadableSpan[]) =>
        spans.map((s) => ({
          name: s.name,
          context: s.spanContext(),
          parent: s.parentSpanContext?.spanId,
          start: s.startTime,
          end: s.endTime,
          status: s.status,
          attributes: s.attributes,
          resource: s.resource.attributes,
        }));
      t.ok(sideA.spans.length > 300, `${path}: spans of every line`);
      t.same(view(sideA.spans), view(aloneA.spans), `${path}: the first bridge's spans`);
      t.same(view(sideB.spans), view(aloneB.spans), `${path}: the second bridge's spans`);
      t.equal(sideB.spans[0].resource.attributes['service.name'], 'edge-b');
    }
  }
});
