import t from 'tap';
import { encodeBatch, NUM_STRIDE, transferList } from '../../../src/storage/sqlite/encode.js';
import { makeSpan, ns } from '../../helpers/store-spans.js';

// The writer binds id bytes exactly as Buffer.from(hex, 'hex') decodes them, whatever the input.
t.test(
  'ids are packed as Buffer.from(hex) decodes them; the parent may come from a child_of link',
  async (t) => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spans = [
      makeSpan({ traceId, spanId: 'b7ad6b7169203331', parentSpanId: '' }),
      makeSpan({ traceId, spanId: 'ABCDEF0123456789', parentSpanId: 'b7ad6b7169203331' }),
      // odd length, invalid pair, empty: decoded up to the first invalid pair, as Buffer.from does
      makeSpan({ traceId: 'abc', spanId: '12zz34', parentSpanId: 'zz' }),
      makeSpan({
        traceId,
        spanId: '0102030405060708',
        parentSpanId: '',
        links: [
          {
            traceId,
            spanId: '1112131415161718',
            traceState: '',
            flags: 0,
            attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'child_of' } }],
            droppedAttributesCount: 0,
          },
        ],
      }),
    ];
    const b = encodeBatch(spans);
    t.equal(b.count, 4);
    const expected = [
      [traceId, 'b7ad6b7169203331', undefined],
      [traceId, 'ABCDEF0123456789', 'b7ad6b7169203331'],
      ['abc', '12zz34', 'zz'],
      [traceId, '0102030405060708', '1112131415161718'],
    ];
    let from = 0;
    for (let i = 0; i < spans.length; i++) {
      const [trace, span, parent] = expected[i];
      const ends = [b.idEnds[3 * i], b.idEnds[3 * i + 1], b.idEnds[3 * i + 2]];
      t.same(Buffer.from(b.ids.subarray(from, ends[0])), Buffer.from(trace!, 'hex'), `trace id ${i}`);
      t.same(Buffer.from(b.ids.subarray(ends[0], ends[1])), Buffer.from(span!, 'hex'), `span id ${i}`);
      t.equal(b.hasParent[i], parent === undefined ? 0 : 1, `has parent ${i}`);
      t.same(Buffer.from(b.ids.subarray(ends[1], ends[2])), Buffer.from(parent ?? '', 'hex'), `parent ${i}`);
      from = ends[2];
    }
    t.ok(from <= b.ids.length, 'inside the buffer (sized for valid hex; invalid pairs leave slack)');
    // service, operation and layer strings once per batch
    t.equal(new Set(b.strings).size, b.strings.length);
    for (let i = 0; i < spans.length; i++) {
      t.equal(b.strings[b.nums[i * NUM_STRIDE + 2]], spans[i].serviceName);
      t.equal(b.strings[b.nums[i * NUM_STRIDE + 3]], spans[i].name);
      t.equal(b.strings[b.nums[i * NUM_STRIDE + 4]], spans[i].layer);
    }
    // every typed array is its own ArrayBuffer (transferable without detaching anything else)
    const buffers = transferList(b);
    t.equal(new Set(buffers).size, buffers.length);
    for (const a of [b.ids, b.idEnds, b.hasParent, b.nums, b.times, b.tags]) {
      t.equal(a.byteOffset, 0);
      t.equal(a.byteLength, a.buffer.byteLength);
    }
  },
);

t.test('times outside the 64-bit range throw instead of wrapping', async (t) => {
  t.throws(
    () => encodeBatch([makeSpan({ startTimeUnixNano: 2n ** 63n, endTimeUnixNano: 2n ** 63n })]),
    RangeError,
  );
  const s = makeSpan({ startTimeUnixNano: ns(1000), endTimeUnixNano: ns(1000) + 5n });
  const b = encodeBatch([s]);
  t.equal(b.times[0], ns(1000));
  t.equal(b.times[1], 5n);
});
