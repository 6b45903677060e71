import t from 'tap';
import { randomSpanId, randomTraceId, spanIdFromBytes, traceIdFromBytes } from '../src/sdk/ids.js';

// The ids are the pool's bytes in hex: checked against Buffer's own hex encoding of the same bytes,
// every byte value at every position of an id.
t.test('trace and span ids are their bytes in lowercase hex, every byte value', async (t) => {
  const bytes = Buffer.alloc(8192);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 255;
  let mismatches = 0;
  let checked = 0;
  for (let at = 0; at + 16 <= bytes.length; at++) {
    if (traceIdFromBytes(bytes, at) !== bytes.toString('hex', at, at + 16)) mismatches++;
    if (spanIdFromBytes(bytes, at) !== bytes.toString('hex', at, at + 8)) mismatches++;
    checked += 2;
  }
  t.equal(mismatches, 0, `${checked} ids against Buffer's hex`);
  t.equal(traceIdFromBytes(bytes, 5), bytes.toString('hex', 5, 21), 'one of them, shown');
});

t.test('an all-zero id is never returned', async (t) => {
  const zeros = Buffer.alloc(32);
  t.equal(traceIdFromBytes(zeros, 0), `${'0'.repeat(31)}1`);
  t.equal(spanIdFromBytes(zeros, 8), `${'0'.repeat(15)}1`);
  const one = Buffer.alloc(16);
  one[15] = 1;
  t.equal(
    traceIdFromBytes(one, 0),
    `${'0'.repeat(31)}1`,
    'the id that is all zeros but its last bit is itself',
  );
});

t.test('real random ids: valid and distinct', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const traceId = randomTraceId();
    const spanId = randomSpanId();
    t.match(traceId, /^[0-9a-f]{32}$/);
    t.match(spanId, /^[0-9a-f]{16}$/);
    seen.add(traceId);
  }
  t.equal(seen.size, 2000);
});
