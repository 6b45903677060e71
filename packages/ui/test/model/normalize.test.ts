import t from 'tap';
import { normalizeTrace, splitByTrace } from '../../src/model/normalize.js';
import { id, span } from '../helpers/spans.js';

t.test('parents before children, siblings by start, depth and subtree extents', async (t) => {
  // given out of order: root 1 → (2 → 4), 3 ; 3 starts before 2
  const tr = normalizeTrace([
    span({ spanID: id(4), parentSpanID: id(2), startUs: 1_000_030, durationUs: 5 }),
    span({ spanID: id(2), parentSpanID: id(1), startUs: 1_000_020, durationUs: 30 }),
    span({ spanID: id(3), parentSpanID: id(1), startUs: 1_000_010, durationUs: 5, statusCode: 'ERROR' }),
    span({ spanID: id(1), startUs: 1_000_000, durationUs: 100, layer: 'ingress', service: 'ingress-nginx' }),
  ]);
  t.same(
    tr.spans.map((s) => [s.spanID, s.depth, s.parentIndex, s.subtreeEnd, s.childCount]),
    [
      [id(1), 0, -1, 3, 2],
      [id(3), 1, 0, 1, 0],
      [id(2), 1, 0, 3, 1],
      [id(4), 2, 2, 3, 0],
    ],
  );
  t.equal(tr.startUs, 1_000_000);
  t.equal(tr.durationUs, 100);
  t.same(
    tr.spans.map((s) => s.offsetUs),
    [0, 10, 20, 30],
  );
  t.equal(tr.errorCount, 1);
  t.same(tr.layerCounts, { ingress: 1, app: 3, 'control-plane': 0 });
  t.equal(tr.rootService, 'ingress-nginx');
  t.equal(tr.byId.get(id(2)), 2);
  t.equal(tr.maxDepth, 2);
});

t.test('orphans, follows_from references, duplicates and cycles', async (t) => {
  const tr = normalizeTrace([
    span({ spanID: id(1), startUs: 10 }),
    span({
      spanID: id(2),
      startUs: 20,
      links: [
        { traceID: 'a'.repeat(32), spanID: id(1), refType: 'follows_from', linkType: '', attributes: [] },
      ],
    }),
    span({ spanID: id(3), parentSpanID: id(99), startUs: 30 }),
    span({ spanID: id(5), parentSpanID: id(6), startUs: 50 }),
    span({ spanID: id(6), parentSpanID: id(5), startUs: 60 }),
    span({ spanID: id(1), startUs: 10, name: 'replaced' }),
  ]);
  t.equal(tr.spans.length, 5, 'a duplicate span id keeps the last');
  t.equal(tr.spans[0].name, 'replaced');
  t.equal(tr.spans[1].spanID, id(2));
  t.equal(tr.spans[1].refType, 'FOLLOWS_FROM', 'a follows_from reference hangs the span from its target');
  t.equal(tr.orphanCount, 1, 'the span whose parent is not in the trace');
  t.equal(tr.spans.find((s) => s.spanID === id(3))?.depth, 0, 'an orphan is a root');
  const cyc = tr.spans.filter((s) => s.spanID === id(5) || s.spanID === id(6));
  t.equal(cyc.length, 2, 'spans in a parent cycle are kept');
  t.ok(
    cyc.some((s) => s.parentIndex === -1),
    'and one of them becomes a root',
  );
});

t.test('a 100,000-span chain does not overflow the stack', async (t) => {
  const spans = Array.from({ length: 100_000 }, (_, i) =>
    span({ spanID: id(i + 1), parentSpanID: i === 0 ? '' : id(i), startUs: 1000 + i }),
  );
  const tr = normalizeTrace(spans.reverse());
  t.equal(tr.maxDepth, 99_999);
  t.equal(tr.spans[0].subtreeEnd, 99_999);
});

t.test('diagnoses are read from crosstrace.diagnosis events', async (t) => {
  const tr = normalizeTrace([
    span({
      spanID: id(1),
      events: [
        {
          timeUs: 1,
          name: 'crosstrace.diagnosis',
          attributes: [
            { key: 'crosstrace.diagnosis.code', value: 'upstream-pod-terminating' },
            { key: 'crosstrace.diagnosis.message', value: 'pod shop/web was terminating' },
            { key: 'crosstrace.evidence.pod', value: 'shop/web' },
            { key: 'crosstrace.evidence.sinceMs', value: 1200 },
          ],
        },
        { timeUs: 2, name: 'other', attributes: [] },
      ],
    }),
  ]);
  t.same(tr.diagnoses, [
    {
      code: 'upstream-pod-terminating',
      message: 'pod shop/web was terminating',
      evidence: { pod: 'shop/web', sinceMs: 1200 },
      spanIndex: 0,
    },
  ]);
  t.equal(tr.spans[0].diagnoses.length, 1);
});

t.test('splitByTrace groups spans of several traces', async (t) => {
  const m = splitByTrace([
    span({ spanID: id(1) }),
    span({ spanID: id(2), traceID: 'b'.repeat(32) }),
    span({ spanID: id(3) }),
  ]);
  t.same([...m.keys()], ['a'.repeat(32), 'b'.repeat(32)]);
  t.equal(m.get('a'.repeat(32))?.length, 2);
});
