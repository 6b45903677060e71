import t from 'tap';
import { criticalPath } from '../../src/model/critical-path.js';
import { diagnosisPod, diagnosisSentence } from '../../src/model/diagnosis.js';
import { formatDuration, formatTimestamp, parseDuration } from '../../src/model/format.js';
import { normalizeTrace } from '../../src/model/normalize.js';
import { deepestExpandedDepth, isVisible, subtreeSummary, visibleRows } from '../../src/model/rows.js';
import { searchSpans } from '../../src/model/span-search.js';
import { diffTraces, flattenDiff } from '../../src/model/trace-diff.js';
import { selfTimes, traceStats } from '../../src/model/trace-stats.js';
import { id, span } from '../helpers/spans.js';

// root(0..100) → a(10..50) → a1(12..20), a2(30..45) ; b(60..90); route ×3 under b
function sample() {
  return normalizeTrace([
    span({ spanID: id(1), name: 'GET /dispatch', service: 'frontend', startUs: 0, durationUs: 100 }),
    span({ spanID: id(2), parentSpanID: id(1), name: 'a', service: 'customer', startUs: 10, durationUs: 40 }),
    span({ spanID: id(3), parentSpanID: id(2), name: 'a1', service: 'mysql', startUs: 12, durationUs: 8 }),
    span({
      spanID: id(4),
      parentSpanID: id(2),
      name: 'a2',
      service: 'mysql',
      startUs: 30,
      durationUs: 15,
      statusCode: 'ERROR',
    }),
    span({ spanID: id(5), parentSpanID: id(1), name: 'b', service: 'driver', startUs: 60, durationUs: 30 }),
    ...[6, 7, 8].map((n) =>
      span({
        spanID: id(n),
        parentSpanID: id(5),
        name: 'GET /route',
        service: 'route',
        startUs: 60 + n,
        durationUs: 5,
        attributes: [{ key: 'http.route', value: '/route' }],
      }),
    ),
  ]);
}

t.test('visible rows with collapsed subtrees, and their summary', async (t) => {
  const tr = sample();
  t.same([...visibleRows(tr, new Set())], [0, 1, 2, 3, 4, 5, 6, 7]);
  t.same([...visibleRows(tr, new Set([1]))], [0, 1, 4, 5, 6, 7]);
  t.same([...visibleRows(tr, new Set([0]))], [0]);
  const only = new Uint8Array(8);
  only[3] = 1;
  t.same([...visibleRows(tr, new Set(), only)], [3], 'matches only');
  t.equal(subtreeSummary(tr, 4), 'route GET /route ×3');
  t.equal(subtreeSummary(tr, 0, 1), 'route GET /route ×3 · +4 more');
  t.notOk(isVisible(tr, new Set([1]), 2));
  t.ok(isVisible(tr, new Set([1]), 4));
  t.equal(deepestExpandedDepth(tr, new Set()), 1);
  t.equal(deepestExpandedDepth(tr, new Set([1, 4])), 0);
});

t.test('critical path: the last child to finish, then the one before it, and the gaps', async (t) => {
  const tr = sample();
  const cp = criticalPath(tr);
  t.same(
    cp.get(0),
    [
      [0, 10],
      [50, 60],
      [90, 100],
    ],
    'the root owns the gaps',
  );
  t.same(
    cp.get(4),
    [
      [60, 68],
      [73, 90],
    ],
    'b, around the route call that finished last',
  );
  t.same(cp.get(7), [[68, 73]], 'the last route call');
  t.notOk(cp.has(5), 'overlapped route calls are off the path');
  t.same(cp.get(3), [[30, 45]]);
});

t.test('self time and statistics per service and operation', async (t) => {
  const tr = sample();
  const self = selfTimes(tr);
  t.equal(self[0], 100 - 40 - 30, 'root minus its children');
  t.equal(self[1], 40 - 8 - 15);
  t.equal(self[4], 30 - (73 - 66), 'overlapping children counted once');
  const rows = traceStats(tr);
  const route = rows.find((r) => r.service === 'route')!;
  t.match(route, { operation: 'GET /route', count: 3, totalUs: 15, minUs: 5, maxUs: 5 });
  t.equal(rows.find((r) => r.operation === 'a2')?.errors, 1);
  t.equal(traceStats(tr, { byService: true }).find((r) => r.service === 'mysql')?.count, 2);
});

t.test('in-trace search: text, key=value, service=, span id', async (t) => {
  const tr = sample();
  t.equal(searchSpans(tr, ''), undefined);
  t.same(searchSpans(tr, 'mysql')?.list, [2, 3]);
  t.same(searchSpans(tr, 'http.route=/route')?.list, [5, 6, 7]);
  t.same(searchSpans(tr, 'service=route GET')?.list, [5, 6, 7], 'every term must match');
  t.same(searchSpans(tr, id(5))?.list, [4]);
});

t.test('compare: union of call paths with counts per side', async (t) => {
  const a = sample();
  const b = normalizeTrace([
    span({ spanID: id(1), name: 'GET /dispatch', service: 'frontend', startUs: 0, durationUs: 100 }),
    span({ spanID: id(5), parentSpanID: id(1), name: 'b', service: 'driver', startUs: 60, durationUs: 30 }),
    span({
      spanID: id(9),
      parentSpanID: id(5),
      name: 'GET /route',
      service: 'route',
      startUs: 61,
      durationUs: 5,
    }),
    span({ spanID: id(10), parentSpanID: id(1), name: 'new', service: 'cache', startUs: 1, durationUs: 5 }),
  ]);
  const rows = flattenDiff(diffTraces(a, b));
  const byName = Object.fromEntries(rows.map((r) => [r.operation, [r.a, r.b]]));
  t.same(byName['GET /route'], [3, 1]);
  t.same(byName.a, [1, 0], 'only in A');
  t.same(byName.new, [0, 1], 'only in B');
  t.equal(rows[0].operation, 'GET /dispatch');
  t.equal(rows.find((r) => r.operation === 'new')?.depth, 1);
});

t.test('durations and times', async (t) => {
  t.equal(parseDuration('1.2s'), 1_200_000);
  t.equal(parseDuration('100ms'), 100_000);
  t.equal(parseDuration('1m30s'), 90_000_000);
  t.equal(parseDuration('250us'), 250);
  t.equal(parseDuration('fast'), undefined);
  t.equal(parseDuration('12'), undefined, 'a unit is required');
  t.equal(formatDuration(312_000), '312 ms');
  t.equal(formatDuration(1_240_000), '1.24 s');
  t.equal(formatDuration(85), '85 µs');
  t.equal(formatDuration(-1_200_000), '−1.2 s');
  t.equal(formatDuration(123_000_000), '2 min 3 s');
  t.equal(formatTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000, 'utc'), '2026-01-02 03:04:05.678 UTC');
});

t.test('diagnosis sentences carry the evidence', async (t) => {
  const d = {
    code: 'upstream-pod-terminating',
    message: 'fallback',
    evidence: {
      pod: 'shop/web-1',
      address: '10.0.0.7',
      sinceMs: 1200,
      deletionStartedAt: '2026-01-10T12:00:05Z',
      gracePeriodSeconds: 30,
    },
  };
  t.equal(
    diagnosisSentence(d),
    'The attempt went to 10.0.0.7, held by pod shop/web-1, whose deletion had begun 1.2 s earlier (at 2026-01-10T12:00:05Z, grace period 30 s).',
  );
  t.same(diagnosisPod(d), { namespace: 'shop', name: 'web-1' });
  t.equal(
    diagnosisSentence({ code: 'something-new', message: 'as the collector said', evidence: {} }),
    'as the collector said',
  );
  t.match(
    diagnosisSentence({
      code: 'upstream-endpoint-removed',
      message: '',
      evidence: {
        address: '10.0.0.7',
        endpointSlice: 'web-x',
        change: 'removed',
        lagMs: 3400,
        removedAt: 'T',
      },
    }),
    /10\.0\.0\.7 had already left EndpointSlice web-x \(removed\) 3\.4 s before the attempt/,
  );
});
