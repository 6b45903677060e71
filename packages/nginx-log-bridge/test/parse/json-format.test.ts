import t from 'tap';
import { createJsonParser } from '../../src/parse/json-format.js';
import { parseLine } from '../../src/parse/parse-line.js';
import { fixtureLines } from '../helpers/fixtures.js';

t.test('ingress-nginx JSON log with the default mapping', async (t) => {
  const [line] = fixtureLines('ingress-json-traceparent.log');
  const r = parseLine(line, { format: 'json' });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.record.req_id, '7d3c633f19688de687871431e9de7753');
  t.equal(r.record.request_method, 'GET');
  t.equal(r.record.status, '500');
  t.equal(r.record.time_iso8601, '2022-02-16T21:45:13+00:00');
  t.equal(r.record.http_traceparent, '00-0000000000000000ec70652d4865fdee-0f5d197cd47c34d4-01');
  t.equal(r.record.upstream_addr, '-', 'empty strings become nginx "-"');
  t.equal(r.record.body_bytes_sent, '-');
  t.notOk('httpRequest' in r.record);
});

t.test('custom mapping, variables named as-is, numbers', async (t) => {
  const parser = createJsonParser({ req_id: 'meta.id', msec: 'ts' });
  const r = parser.parse(
    '{"meta":{"id":"abc"},"ts":1714557600.5,"status":201,"remote_addr":"10.0.0.1","extra":"kept"}',
  );
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.record.req_id, 'abc');
    t.equal(r.record.msec, '1714557600.5');
    t.equal(r.record.status, '201');
    t.equal(r.record.remote_addr, '10.0.0.1');
    t.equal(r.record.extra, 'kept');
  }
});

t.test('bad JSON lines are counted, not thrown', async (t) => {
  const parser = createJsonParser();
  t.same(parser.parse('{"status":'), { ok: false, reason: 'invalid-json' });
  t.same(parser.parse('[1,2]'), { ok: false, reason: 'invalid-json' });
  t.same(parser.parse('null'), { ok: false, reason: 'invalid-json' });
  t.same(parser.parse(''), { ok: false, reason: 'empty' });
  t.throws(() => createJsonParser({ status: 3 as unknown as string }), {
    code: 'CT_BRIDGE_BAD_JSON_MAPPING',
  });
});
