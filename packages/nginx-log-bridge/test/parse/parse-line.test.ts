import t from 'tap';
import { createParser, parseLine } from '../../src/parse/parse-line.js';
import { fixtureLines } from '../helpers/fixtures.js';

t.test('combined preset also reads the main format with X-Forwarded-For', async (t) => {
  const [line] = fixtureLines('main-with-xff.log');
  const r = parseLine(line, { format: 'combined' });
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.record.http_x_forwarded_for, '-');
    t.equal(r.record.status, '404');
  }
  t.ok(
    fixtureLines('combined.log').every((l) => parseLine(l).ok),
    'combined is the default',
  );
});

t.test(
  'ingress-nginx preset reads the 2019 legacy format and counts the error-log line as bad',
  async (t) => {
    const results = fixtureLines('ingress-nginx-legacy-2019.log').map((l) =>
      parseLine(l, { format: 'ingress-nginx' }),
    );
    t.same(
      results.map((r) => r.ok),
      [true, false, true],
    );
    t.same(results[1], { ok: false, reason: 'format-mismatch' });
    const first = results[0];
    if (first.ok) {
      t.equal(first.record.the_real_ip, '10.0.2.213');
      t.equal(first.record.upstream_addr, '0.0.0.1:80');
      t.equal(first.record.req_id, 'b1735cbec6aa0fd116ec81fb0e2e5ba5');
    }
  },
);

t.test('logFormat wins over format; bad options never throw from parseLine', async (t) => {
  const r = parseLine('200 GET', { format: 'json', logFormat: '$status $request_method' });
  t.ok(r.ok && r.record.request_method === 'GET');
  t.same(parseLine('x', { format: 'nope' as 'json' }), { ok: false, reason: 'format-mismatch' });
  t.same(parseLine('x', { logFormat: 'no vars' }), { ok: false, reason: 'format-mismatch' });
  t.throws(() => createParser({ format: 'nope' as 'json' }), { code: 'CT_BRIDGE_BAD_FORMAT' });
});

t.test(
  "parseLine's results are the caller's own: a later line leaves an earlier result's positions as they were",
  async (t) => {
    const [first, second] = fixtureLines('ingress-nginx-upstreaminfo.log');
    const a = parseLine(first, { format: 'ingress-nginx' });
    const before = a.ok && a.positions !== undefined ? Array.from(a.positions.offsets) : undefined;
    t.ok(before !== undefined, 'the first line has positions');
    const b = parseLine(second, { format: 'ingress-nginx' });
    t.ok(b.ok && b.positions !== undefined, 'so has the second');
    if (!a.ok || a.positions === undefined || !b.ok || b.positions === undefined) return;
    t.not(b.positions.offsets, a.positions.offsets, 'each result has its own offsets');
    t.notSame(Array.from(b.positions.offsets), before, 'the two lines put their values at different offsets');
    t.same(Array.from(a.positions.offsets), before, "the second parse left the first result's offsets alone");
    const { variables, offsets } = a.positions;
    for (let i = 0; i < variables.length; i++) {
      const value = a.record[variables[i]];
      t.equal(first.slice(offsets[i], offsets[i] + value.length), value, `${variables[i]} is at its offset`);
    }
    const parser = createParser({ format: 'ingress-nginx' });
    const c = parser.parse(first);
    const d = parser.parse(second);
    t.ok(
      c.ok && d.ok && c.positions === d.positions,
      'a parser of its own reuses one positions object, as documented',
    );
  },
);
