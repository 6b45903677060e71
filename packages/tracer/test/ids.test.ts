import t from 'tap';

// The pool's bytes are set by a stand-in randomFillSync, so each id can be checked against
// Buffer's own hex encoding of the same bytes.
async function idsFrom(fill: (buf: Uint8Array) => void): Promise<typeof import('../src/sdk/ids.js')> {
  return t.mockImport<typeof import('../src/sdk/ids.js')>('../src/sdk/ids.js', {
    'node:crypto': {
      randomFillSync: <T extends Uint8Array>(buf: T): T => {
        fill(buf);
        return buf;
      },
    },
  });
}

t.test('trace and span ids are the pool bytes in lowercase hex, every byte value', async (t) => {
  const ids = await idsFrom((buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 7 + 3) & 255;
  });
  const expected = Buffer.alloc(8192);
  for (let i = 0; i < expected.length; i++) expected[i] = (i * 7 + 3) & 255;
  let at = 0;
  for (let n = 0; n < 200; n++) {
    const traceId = ids.randomTraceId();
    t.equal(traceId, expected.toString('hex', at, at + 16));
    at += 16;
    const spanId = ids.randomSpanId();
    t.equal(spanId, expected.toString('hex', at, at + 8));
    at += 8;
  }
});

t.test('an all-zero id is never returned', async (t) => {
  const ids = await idsFrom((buf) => buf.fill(0));
  t.equal(ids.randomTraceId(), `${'0'.repeat(31)}1`);
  t.equal(ids.randomSpanId(), `${'0'.repeat(15)}1`);
});

t.test('real random ids: valid and distinct', async (t) => {
  const { randomSpanId, randomTraceId } = await import('../src/sdk/ids.js');
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
