// Child process for the kill -9 test: writes batches to a SQLite store forever and prints the
// number of spans whose writeSpans() resolved (acknowledged) after each batch.
import { openSqliteStore } from '../../src/storage/index.js';
import { makeSpan } from './store-spans.js';

const path = process.argv[2];
const store = await openSqliteStore({ path });
let acked = 0;
for (let batch = 0; ; batch++) {
  const spans = Array.from({ length: 200 }, (_v, i) =>
    makeSpan({ attributes: [{ key: 'n', value: { intValue: String(batch * 200 + i) } }] }),
  );
  // Several concurrent writers share commits, as the pipeline's would.
  await Promise.all([store.writeSpans(spans.slice(0, 100)), store.writeSpans(spans.slice(100))]);
  acked += spans.length;
  process.stdout.write(`${acked}\n`);
}
