// The persistent queue and its delivery against real servers: Retry-After and gRPC RetryInfo are
// honoured, a permanent refusal is dropped and counted, nothing is removed before it was
// acknowledged, the byte bound refuses with 429, rows survive a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import {
  createOtlpClient,
  Delivery,
  PersistentQueue,
  parseRetryAfter,
  retryDelayFromStatus,
} from '../../../src/exporters/index.js';
import { encodeRetryStatus } from '../../../src/receivers/otlp/encode-response.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-queue-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const queuePath = () => join(dir, `q${++n}.db`);

/** An HTTP server answering from a script of statuses; records when each request came. */
async function scriptedServer(script: Array<{ status: number; headers?: Record<string, string> }>) {
  const times: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const step = script[Math.min(times.length, script.length - 1)];
      times.push(Date.now());
      res.writeHead(step.status, step.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    times,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

t.test('Retry-After is honoured; the row leaves the queue only once acknowledged', async (t) => {
  const srv = await scriptedServer([{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
  t.teardown(srv.close);
  const queue = new PersistentQueue({ path: queuePath() });
  const client = createOtlpClient({ endpoint: srv.url });
  const delivery = new Delivery({
    queue,
    send: (it) => client.exportTraces(it.payload),
    initialBackoffMs: 10,
  });
  t.teardown(() => {
    client.close();
    queue.close();
  });
  queue.enqueue([{ dest: 'x', kind: 'traces', payload: new Uint8Array([1]), items: 3 }]);
  delivery.add('x');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(queue.depth().rows, 1, 'still queued while the server said wait');
  await delivery.drained();
  t.equal(srv.times.length, 2);
  t.ok(srv.times[1] - srv.times[0] >= 990, `retried after ${srv.times[1] - srv.times[0]} ms`);
  t.same(delivery.stats, { sent: 1, items: 3, retries: 1, dropped: 0 });
  t.equal(queue.depth().rows, 0);
});

t.test('a permanent refusal (400) is dropped and counted, not retried forever', async (t) => {
  const srv = await scriptedServer([{ status: 400 }]);
  t.teardown(srv.close);
  const queue = new PersistentQueue({ path: queuePath() });
  const client = createOtlpClient({ endpoint: srv.url });
  const refused: string[] = [];
  const delivery = new Delivery({
    queue,
    send: (it) => client.exportTraces(it.payload),
    onResult: (_it, r) => {
      if (r.kind === 'permanent') refused.push(r.message);
    },
  });
  t.teardown(() => {
    client.close();
    queue.close();
  });
  queue.enqueue([{ dest: 'x', kind: 'traces', payload: new Uint8Array([1]), items: 5 }]);
  delivery.add('x');
  await delivery.drained();
  t.equal(srv.times.length, 1);
  t.equal(delivery.stats.dropped, 5);
  t.match(refused[0], /HTTP 400/);
});

t.test('gRPC: RESOURCE_EXHAUSTED with RetryInfo is retried after the delay it names', async (t) => {
  const times: number[] = [];
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => {
        times.push(Date.now());
        if (times.length > 1) return cb(null, Buffer.alloc(0));
        const md = new grpc.Metadata();
        md.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(8, 'full', 1)));
        cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'full', metadata: md });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  t.teardown(() => server.forceShutdown());
  const queue = new PersistentQueue({ path: queuePath() });
  const client = createOtlpClient({ endpoint: `grpc://127.0.0.1:${port}` });
  t.teardown(() => {
    client.close();
    queue.close();
  });
  const delivery = new Delivery({
    queue,
    send: (it) => client.exportTraces(it.payload),
    initialBackoffMs: 10,
  });
  queue.enqueue([{ dest: 'g', kind: 'traces', payload: new Uint8Array(0), items: 1 }]);
  delivery.add('g');
  await delivery.drained();
  t.equal(times.length, 2);
  t.ok(times[1] - times[0] >= 990, `retried after ${times[1] - times[0]} ms`);
  t.equal(retryDelayFromStatus(encodeRetryStatus(14, 'x', 7)), 7000);
});

t.test('the byte bound refuses with 429; rows and the journal survive a reopen', async (t) => {
  const path = queuePath();
  const queue = new PersistentQueue({ path, maxBytes: 2048 });
  queue.enqueue([{ dest: 'a', kind: 'traces', payload: new Uint8Array(1500), items: 1 }]);
  queue.enqueue([{ dest: 'a', kind: 'traces', payload: new Uint8Array(400), items: 1 }]);
  t.throws(() => queue.enqueue([{ dest: 'a', kind: 'traces', payload: new Uint8Array(400), items: 1 }]), {
    code: 'CT_COLLECTOR_QUEUE_FULL',
    statusCode: 429,
  });
  queue.enqueue([], { kind: 'k8s-objects', payload: Buffer.from('{}'), items: 1 });
  queue.setKnownMembers(['a', 'b']);
  queue.close();
  const again = new PersistentQueue({ path, maxBytes: 2048 });
  t.teardown(() => again.close());
  t.same(again.depth(), { rows: 2, bytes: 1900 });
  t.equal(again.isFull(), false);
  t.same(
    again.next('a', 0, 10).map((r) => r.payload.byteLength),
    [1500, 400],
  );
  t.equal(again.journal().length, 1);
  t.same(again.knownMembers(), ['a', 'b']);
  again.trimJournal(Date.now() + 2 * 86_400_000);
  t.equal(again.journal().length, 0, 'journal entries expire');
});

t.test('Retry-After as seconds or an HTTP date', async (t) => {
  t.equal(parseRetryAfter('3'), 3000);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  t.equal(parseRetryAfter('soon'), undefined);
  t.equal(parseRetryAfter(undefined), undefined);
});
