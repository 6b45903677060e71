// Worker thread entry: owns the write connection, so SQLite work (inserts, index maintenance,
// commits, retention) runs beside the main thread instead of on it. Writes arriving in the same
// turn share one transaction.
import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedBatch } from './encode.js';
import { SqliteWriter, type WriterOptions } from './writer.js';
import type { FromWorker, ToWorker } from './writer-protocol.js';

const MAX_SPANS_PER_TRANSACTION = 20_000;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

let writer: SqliteWriter;
try {
  writer = new SqliteWriter(workerData as WriterOptions);
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'open-error', message: (e as Error).message });
  process.exit(0);
}

const queue: Array<{ id: number; batches: EncodedBatch[] }> = [];
let scheduled = false;
let retention: Promise<unknown> | undefined;
const pause = () => new Promise<void>((r) => setImmediate(r));

function flush(): void {
  scheduled = false;
  while (queue.length > 0) {
    const group: typeof queue = [];
    let spans = 0;
    while (queue.length > 0) {
      const n = queue[0].batches.reduce((a, b) => a + b.count, 0);
      if (group.length > 0 && spans + n > MAX_SPANS_PER_TRANSACTION) break;
      group.push(queue.shift()!);
      spans += n;
    }
    let error: string | undefined;
    try {
      writer.write(group.flatMap((g) => g.batches));
    } catch (e) {
      error = (e as Error).message;
    }
    for (const g of group) post({ type: 'done', id: g.id, error });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'write') {
    queue.push({ id: m.id, batches: m.batches });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  } else if (m.type === 'delete') {
    // after the writes queued before it, so a write-then-delete sequence keeps its order
    flush();
    let error: string | undefined;
    try {
      writer.deleteSpans(m.traceId, m.spanIds);
    } catch (e) {
      error = (e as Error).message;
    }
    post({ type: 'done', id: m.id, error });
  } else if (m.type === 'retention') {
    const run = (retention ?? Promise.resolve()).then(() => writer.retention(m.request, pause));
    retention = run.catch(() => {});
    run.then(
      (result) => post({ type: 'done', id: m.id, result }),
      (e: Error) => post({ type: 'done', id: m.id, error: e.message }),
    );
  } else if (m.type === 'close') {
    flush();
    writer.close();
    post({ type: 'done', id: m.id });
    port.close();
  }
});
