import { setTimeout as sleep } from 'node:timers/promises';
import { createTracer, SimpleSpanProcessor } from '@crosstrace/tracer';
import { InMemorySpanExporter } from '@crosstrace/tracer/testing';
import t from 'tap';
import { TracedMutex } from '../../src/services/common/traced-mutex.js';

t.test('waiters are served in order and say how many are ahead and behind', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracer = createTracer({ processor: new SimpleSpanProcessor(exporter), registerGlobal: false });
  const otel = tracer.provider.getTracer('test');
  const mutex = new TracedMutex('request');
  const order: string[] = [];
  const run = async (session: string) => {
    const span = otel.startSpan(`q ${session}`);
    const release = await mutex.lock(span, session);
    order.push(session);
    await sleep(20);
    release();
    release(); // twice is harmless
    span.end();
  };
  await Promise.all([run('a-1'), run('b-1'), run('c-1')]);
  t.same(order, ['a-1', 'b-1', 'c-1']);
  t.equal(mutex.queued, 0);
  const events = Object.fromEntries(
    exporter.getFinishedSpans().map((s) => [s.name, s.events.map((e) => [e.name, e.attributes])]),
  );
  t.same(events['q a-1'], [
    ['Acquired lock; 2 transactions waiting behind', { waiters: '[b-1 c-1]', level: 'info' }],
  ]);
  t.same(events['q b-1'], [
    ['Waiting for lock behind 1 transactions', { blockers: '[a-1]', level: 'info' }],
    ['Acquired lock; 1 transactions waiting behind', { waiters: '[c-1]', level: 'info' }],
  ]);
  t.same(events['q c-1'], [
    ['Waiting for lock behind 2 transactions', { blockers: '[a-1 b-1]', level: 'info' }],
    ['Acquired lock; 0 transactions waiting behind', { waiters: '[]', level: 'info' }],
  ]);
  t.equal(exporter.getFinishedSpans()[0].attributes.request, 'a-1', 'the span records the baggage value');
});
