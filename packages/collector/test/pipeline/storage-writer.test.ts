import t from 'tap';
import { CollectorErrorCode } from '../../src/errors.js';
import type { Span } from '../../src/model/span.js';
import { createStorageWriter } from '../../src/pipeline/index.js';
import type { SpanStore } from '../../src/storage/index.js';

function spans(n: number, tag: string): Span[] {
  return Array.from(
    { length: n },
    (_, i) => ({ spanId: `${tag}${i}`, name: tag, attributes: [], events: [], links: [] }) as unknown as Span,
  );
}

t.test('batches arriving together share one transaction; each resolves after commit', async (t) => {
  const writes: number[] = [];
  const store = {
    async writeSpans(s: readonly Span[]) {
      writes.push(s.length);
      await new Promise((r) => setTimeout(r, 10));
    },
  } as unknown as SpanStore;
  const w = createStorageWriter({
    store,
    maxQueueSpans: 1000,
    maxQueueBytes: 1 << 30,
    maxBatchSpans: 25,
    retryAfterSeconds: 1,
  });
  const all = [
    w.consume({ spans: spans(10, 'a'), receiver: 'r' }),
    w.consume({ spans: spans(10, 'b'), receiver: 'r' }),
    w.consume({ spans: spans(10, 'c'), receiver: 'r' }),
  ];
  t.same(w.depth().spans, 30);
  await Promise.all(all);
  t.same(writes, [20, 10], 'grouped up to maxBatchSpans');
  t.same(w.depth(), { spans: 0, bytes: 0 });
  await w.drain();
});

t.test('byte bound, oversize batch alone, storage errors are retryable', async (t) => {
  let fail = false;
  const store = {
    async writeSpans() {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('io');
    },
  } as unknown as SpanStore;
  const w = createStorageWriter({
    store,
    maxQueueSpans: 10,
    maxQueueBytes: 5000,
    maxBatchSpans: 100,
    retryAfterSeconds: 2,
  });
  const big = w.consume({ spans: spans(50, 'big'), receiver: 'r' });
  t.ok(w.isFull(), 'a batch larger than the bound is taken alone when the queue is empty');
  await t.rejects(w.consume({ spans: spans(1, 'x'), receiver: 'r' }), {
    code: CollectorErrorCode.QueueFull,
    statusCode: 429,
    retryAfterSeconds: 2,
  });
  await big;
  const y = w.consume({ spans: spans(5, 'y'), receiver: 'r', sizeBytes: 6000 });
  await t.rejects(
    w.consume({ spans: spans(1, 'z'), receiver: 'r', sizeBytes: 10 }),
    { code: CollectorErrorCode.QueueFull, statusCode: 429 },
    'bytes bound',
  );
  await y;
  await w.drain();
  fail = true;
  await t.rejects(w.consume({ spans: spans(1, 'f'), receiver: 'r' }), {
    code: CollectorErrorCode.StorageUnavailable,
    statusCode: 503,
  });
});

t.test('a batch that supersedes stored spans deletes them after its own spans are written', async (t) => {
  const log: string[] = [];
  let failDelete = false;
  const store = {
    async writeSpans(s: readonly Span[]) {
      log.push(`write ${s.map((x) => x.spanId).join(',')}`);
    },
    async deleteSpans(traceId: string, ids?: readonly string[]) {
      if (failDelete) throw new Error('disk gone');
      log.push(`delete ${traceId} ${ids?.join(',')}`);
    },
  } as unknown as SpanStore;
  const w = createStorageWriter({
    store,
    maxQueueSpans: 1000,
    maxQueueBytes: 1 << 30,
    maxBatchSpans: 100,
    retryAfterSeconds: 1,
  });
  await w.consume({
    spans: spans(2, 'n'),
    receiver: 'stitching',
    supersedes: [{ traceId: 'old', spanIds: ['o1', 'o2'] }],
  });
  t.same(log, ['write n0,n1', 'delete old o1,o2'], 'write first, delete second');
  failDelete = true;
  await t.rejects(
    w.consume({
      spans: spans(1, 'm'),
      receiver: 'stitching',
      supersedes: [{ traceId: 'old', spanIds: ['o3'] }],
    }),
    { code: CollectorErrorCode.StorageUnavailable, statusCode: 503 },
    'a failed deletion is retryable, the copy stays written',
  );
  t.equal(log[2], 'write m0');
});
