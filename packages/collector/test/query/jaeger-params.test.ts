import t from 'tap';
import { parseGoDuration, parseLogfmt, parseTags, parseTraceId } from '../../src/query/index.js';

t.test('Go durations', async (t) => {
  const ok = (s: string, ns: number, days = false) =>
    t.same(parseGoDuration(s, { days }), { ok: true, value: ns }, s);
  ok('0', 0);
  ok('1.2ms', 1_200_000);
  ok('100us', 100_000);
  ok('100µs', 100_000);
  ok('1h2m3s', 3_723_000_000_000);
  ok('-1.5s', -1_500_000_000);
  ok('.5s', 500_000_000);
  ok('2d', 172_800_000_000_000, true);
  for (const bad of ['', '1', 'ms', '1.2', '5parsecs', '1h-2m', '2d']) {
    t.equal(parseGoDuration(bad).ok, false, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('tags: JSON, logfmt and tag=key:value', async (t) => {
  t.same(parseTags(['{"error":"true","http.status_code":500,"b":false}'], []), {
    ok: true,
    value: { error: 'true', 'http.status_code': '500', b: 'false' },
  });
  t.same(parseLogfmt('a=1 b="two words" c=x\\"y d="q\\"uote" e='), {
    ok: true,
    value: { a: '1', b: 'two words', c: 'x\\"y', d: 'q"uote', e: '' },
  });
  t.same(parseTags(['error=true'], ['http.method:GET', 'url:http://x:8080/']), {
    ok: true,
    value: { error: 'true', 'http.method': 'GET', url: 'http://x:8080/' },
  });
  t.same(parseTags(['', '  '], []), { ok: true, value: {} });
  for (const bad of [['{"a":'], ['[1]'], ['{"a":{"b":1}}'], ['novalue'], ['a="open']]) {
    t.equal(parseTags(bad, []).ok, false, `rejects ${bad[0]}`);
  }
  t.equal(parseTags([], [':x']).ok, false);
});

t.test('trace ids', async (t) => {
  t.same(parseTraceId('ABCDEF'), { ok: true, value: 'abcdef'.padStart(32, '0') });
  t.same(parseTraceId('1'.repeat(32)), { ok: true, value: '1'.repeat(32) });
  t.equal(parseTraceId('1'.repeat(33)).ok, false);
  t.equal(parseTraceId('xyz').ok, false);
  t.equal(parseTraceId('').ok, false);
});
