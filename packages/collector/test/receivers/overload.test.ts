// Overload over real sockets: the storage stalls, clients keep sending; the queue never passes its
// bound, the excess gets 429 + Retry-After, and everything accepted is stored once storage resumes.
import t from 'tap';
import { startCollector } from '../helpers/collector.js';
import { createGatedStore } from '../helpers/gated-store.js';
import { otlpJson } from '../helpers/otlp-json.js';

const MAX_QUEUE_BYTES = 2 * 1024 * 1024;

t.test('bounded queue under overload', async (t) => {
  const store = createGatedStore();
  const running = await startCollector({ store, maxQueueBytes: MAX_QUEUE_BYTES, retryAfterSeconds: 4 });
  t.teardown(() => running.collector.close());
  let maxBytes = 0;
  const sampler = setInterval(() => {
    maxBytes = Math.max(maxBytes, running.collector.writer.depth().bytes);
  }, 1);
  const bodies = Array.from({ length: 40 }, () => otlpJson(500));
  const results = bodies.map(({ body }) =>
    fetch(running.otlpHttpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (res) => ({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      text: await res.text(),
    })),
  );
  // Wait until every request was either queued or refused.
  const refused: { status: number; retryAfter: string | null }[] = [];
  const settled = results.map((p) => p.then((r) => (r.status === 429 ? refused.push(r) : undefined)));
  for (let i = 0; i < 1000; i++) {
    const queued = running.collector.writer.depth().spans / 500;
    if (queued + refused.length >= 40) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  clearInterval(sampler);
  const queuedBatches = running.collector.writer.depth().spans / 500;
  t.ok(refused.length > 0, `${refused.length} requests refused with 429`);
  t.ok(queuedBatches > 0, `${queuedBatches} batches queued`);
  t.ok(maxBytes <= MAX_QUEUE_BYTES, `queue peaked at ${maxBytes} bytes ≤ ${MAX_QUEUE_BYTES}`);
  t.ok(
    refused.every((r) => r.retryAfter === '4'),
    'every 429 carries Retry-After',
  );
  store.open();
  const all = await Promise.all(results);
  await Promise.all(settled);
  const accepted = all.filter((r) => r.status === 200).length;
  t.equal(accepted + refused.length, 40, 'each request answered 200 or 429');
  t.equal(accepted, queuedBatches, 'every queued request acknowledged after its commit');
  let stored = 0;
  for (const { traceId } of bodies) stored += (await store.getTrace(traceId)).length;
  t.equal(stored, accepted * 500, 'everything acknowledged is stored');
});
