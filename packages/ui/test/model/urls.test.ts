import t from 'tap';
import {
  formFromParams,
  paramsForSubmit,
  summariesQuery,
  validateForm,
} from '../../src/model/search-query.js';
import { resultRow, sortRows } from '../../src/model/summaries.js';
import { parseRoute } from '../../src/router.js';
import { formatRange, pan, parseRange, zoom } from '../../src/trace/time-axis.js';

t.test('routes: every page has a URL', async (t) => {
  t.same(parseRoute('/'), { page: 'search' });
  t.same(parseRoute('/search'), { page: 'search' });
  t.same(parseRoute('/trace/ABCDEF'), { page: 'trace', traceID: 'abcdef' });
  t.same(parseRoute('/trace/aa...BB'), { page: 'compare', a: 'aa', b: 'bb' });
  t.same(parseRoute('/map'), { page: 'map' });
  t.same(parseRoute('/dependencies'), { page: 'map' }, "jaeger-ui's path");
  t.same(parseRoute('/diagnoses'), { page: 'diagnoses' });
  t.same(parseRoute('/pods'), { page: 'pods' });
  t.same(parseRoute('/pods/shop/web%2D1'), { page: 'pod', namespace: 'shop', name: 'web-1' });
  t.same(parseRoute('/nope/x'), { page: 'not-found', path: '/nope/x' });
});

t.test('search form ↔ URL ↔ /api/v3/trace-summaries', async (t) => {
  const f = formFromParams(new URLSearchParams('service=frontend&tags=error%3Dtrue&minDuration=100ms'));
  t.equal(f.lookback, '1h', "jaeger-ui's defaults: the last hour");
  t.equal(f.limit, '20', 'and 20 results');
  const nowUs = Date.UTC(2026, 0, 1, 12) * 1000;
  const p = paramsForSubmit(f, nowUs);
  t.equal(p.end, String(nowUs));
  t.equal(
    p.start,
    String(nowUs - 3600e6),
    'the window is resolved into the URL, so a shared link shows the same results',
  );
  const url = new URLSearchParams(Object.entries(p).filter((e): e is [string, string] => e[1] !== undefined));
  const q = summariesQuery(formFromParams(url), nowUs);
  t.same(q, {
    'query.service_name': 'frontend',
    'query.span_name': undefined,
    'query.attributes': 'error=true',
    'query.layer': undefined,
    'query.start_time_min': '2026-01-01T11:00:00.000Z',
    'query.start_time_max': '2026-01-01T12:00:00.000Z',
    'query.duration_min': '100ms',
    'query.duration_max': undefined,
    'query.num_traces': '20',
  });
  t.match(validateForm({ ...f, minDuration: 'fast' }), /not a duration/);
  t.match(validateForm({ ...f, minDuration: '2s', maxDuration: '1s' }), /below/);
  t.match(validateForm({ ...f, lookback: 'custom', start: '', end: '' }), /custom range/);
  t.equal(validateForm(f), undefined);
});

t.test('result rows from summaries, sorted', async (t) => {
  const rows = [
    resultRow({
      traceId: 'a',
      minStartTimeUnixNano: '2000000',
      maxEndTimeUnixNano: '5000000',
      spanCount: 3,
      errorSpanCount: 0,
      layers: [
        { layer: 'ingress', spanCount: 1, errorSpanCount: 0 },
        { layer: 'app', spanCount: 2, errorSpanCount: 0 },
      ],
    }),
    resultRow({
      traceId: 'b',
      minStartTimeUnixNano: '1000000',
      maxEndTimeUnixNano: '9000000',
      spanCount: 9,
      errorSpanCount: 2,
      diagnoses: ['upstream-pod-terminating'],
    }),
  ];
  t.same(rows[0].layers, { ingress: 1, app: 2 });
  t.equal(rows[0].durationUs, 3000);
  t.same(
    sortRows(rows, 'recent').map((r) => r.traceID),
    ['a', 'b'],
  );
  t.same(
    sortRows(rows, 'longest').map((r) => r.traceID),
    ['b', 'a'],
  );
  t.same(
    sortRows(rows, 'errors').map((r) => r.traceID),
    ['b', 'a'],
  );
  t.same(
    sortRows(rows, 'bogus').map((r) => r.traceID),
    ['a', 'b'],
    'unknown sorts fall back to most recent',
  );
});

t.test('zoom window', async (t) => {
  t.same(parseRange(null), [0, 1]);
  t.same(parseRange('0.2,0.5'), [0.2, 0.5]);
  t.same(parseRange('0.5,0.2'), [0, 1], 'nonsense resets');
  t.equal(formatRange([0, 1]), undefined, 'the full window leaves the URL');
  t.same(pan([0, 0.5], -0.2), [0, 0.5], 'panning stops at the start');
  t.same(pan([0.2, 0.4], 0.5), [0.30000000000000004, 0.5]);
  const z = zoom([0, 1], 0.5);
  t.same(z, [0.25, 0.75]);
});
