import t, { type Test } from 'tap';
import { benchLine } from '../../bench/lines.js';
import { DirectTraceEncoder, encodeTraceRequest } from '../../src/export/otlp-protobuf.js';
import { type ParserOptions, parseLine } from '../../src/parse/parse-line.js';
import type { LogRecord } from '../../src/parse/types.js';
import { type LineSource, type ToSpansOptions, toSpans } from '../../src/spans/to-spans.js';
import { fixtureLines } from '../helpers/fixtures.js';

interface Line {
  record: LogRecord;
  source: LineSource | undefined;
}

function parsed(lines: string[], options: ParserOptions, withSource: boolean): Line[] {
  const out: Line[] = [];
  let offset = 0;
  for (const l of lines) {
    offset += l.length + 1;
    const r = parseLine(l, options);
    if (r.ok)
      out.push({ record: r.record, source: withSource ? { id: '2049:1234:abcd', offset } : undefined });
  }
  return out;
}

/** The object path (toSpans + encodeTraceRequest) and the direct path, over one batch. */
function both(
  t: Test,
  lines: Line[],
  options: ToSpansOptions = {},
): { objects: Buffer; direct: Buffer; spans: number } {
  const spans = lines.flatMap((l) => toSpans(l.record, { ...options, source: l.source }));
  const encoder = new DirectTraceEncoder();
  let count = 0;
  for (const l of lines) count += encoder.line(l.record, options, l.source);
  t.equal(count, spans.length, 'direct path reports the same span count');
  t.equal(encoder.count, spans.length);
  return {
    objects: Buffer.from(encodeTraceRequest(spans)),
    direct: Buffer.from(encoder.finish()),
    spans: spans.length,
  };
}

const FIXTURES: [string, ParserOptions][] = [
  ['ingress-nginx-upstreaminfo.log', { format: 'ingress-nginx' }],
  ['ingress-nginx-legacy-2019.log', { format: 'ingress-nginx' }],
  ['combined.log', { format: 'combined' }],
  ['main-with-xff.log', { format: 'combined' }],
  ['ingress-json-traceparent.log', { format: 'json' }],
];

t.test('byte-identical to the object path for every fixture line, alone and as one batch', async (t) => {
  let lines = 0;
  for (const [name, parser] of FIXTURES) {
    for (const withSource of [true, false]) {
      const all = parsed(fixtureLines(name), parser, withSource);
      t.ok(all.length > 0, `${name} has parsed lines`);
      for (const [i, line] of all.entries()) {
        const r = both(t, [line]);
        t.ok(r.spans > 0, `${name}:${i} makes spans`);
        t.ok(r.direct.equals(r.objects), `${name}:${i} (source: ${withSource}) same bytes`);
        lines++;
      }
      const batch = both(t, all, {
        serviceName: 'edge',
        resourceAttributes: { 'k8s.pod.name': 'ingress-0' },
      });
      t.ok(batch.direct.equals(batch.objects), `${name} as one batch, custom resource: same bytes`);
    }
  }
  t.ok(lines >= 20);
});

t.test('byte-identical for the generated benchmark lines, in 1000-line batches', async (t) => {
  const text: string[] = [];
  for (let i = 0; i < 3000; i++) text.push(benchLine(i).slice(0, -1));
  const all = parsed(text, { format: 'ingress-nginx' }, true);
  t.equal(all.length, 3000);
  for (let from = 0; from < all.length; from += 1000) {
    const r = both(t, all.slice(from, from + 1000));
    t.equal(r.spans, 2000 + 20, 'SERVER + CLIENT per line, a second attempt on every 50th');
    t.ok(r.direct.equals(r.objects), `lines ${from}..${from + 999}: same bytes (${r.direct.length} B)`);
  }
});

t.test(
  'lines without spans: no time → 0 spans, empty batch → empty request, like the object path',
  async (t) => {
    const encoder = new DirectTraceEncoder();
    t.equal(encoder.line({ status: '200', request: 'GET / HTTP/1.1' }, {}, undefined), 0);
    t.equal(encoder.count, 0);
    t.equal(encoder.finish().length, 0);
    t.equal(encodeTraceRequest([]).length, 0);
    const [line] = parsed(fixtureLines('combined.log').slice(0, 1), { format: 'combined' }, true);
    const mixed = new DirectTraceEncoder();
    t.equal(mixed.line({ status: '200' }, {}, undefined), 0);
    t.equal(mixed.line(line.record, {}, line.source), 1);
    t.ok(
      Buffer.from(mixed.finish()).equals(
        Buffer.from(encodeTraceRequest(toSpans(line.record, { source: line.source }))),
      ),
    );
  },
);

t.test('byte-identical when spans of a kind repeat attributes across spans of every size', async (t) => {
  // The direct encoder copies a run of attributes equal to the previous span's of the same kind
  // from that span's bytes; spans under 128 B or over 16 KiB are moved when their length is
  // written, so the copies must follow them.
  const normal = (i: number): LogRecord => ({
    msec: `1700000000.${100 + i}`,
    request: `GET /api/items/${i % 3}?page=${i} HTTP/1.1`,
    status: '200',
    body_bytes_sent: '612',
    http_user_agent: 'curl/8.5.0',
    proxy_upstream_name: 'default-web-8080',
    upstream_addr: i % 2 === 0 ? '10.0.0.1:8080' : '10.0.0.2:8080, 10.0.0.1:8080',
    upstream_status: i % 2 === 0 ? '200' : '502, 200',
    upstream_response_time: i % 2 === 0 ? '0.004' : '0.001, 0.003',
    req_id: `${i.toString(16).padStart(8, '0')}9f1c4e2ab04d7c1e8f3a5b6c`,
  });
  const huge = (i: number): LogRecord => ({ ...normal(i), http_user_agent: 'x'.repeat(20_000 + i) });
  const tiny = (i: number): LogRecord => ({ msec: `1700000001.${i}` });
  const tinyWithUpstream = (i: number): LogRecord => ({
    msec: `1700000002.${i}`,
    upstream_addr: '10.0.0.1:8080',
  });
  const records: LogRecord[] = [];
  for (let i = 0; i < 12; i++) {
    records.push(normal(i), huge(i), normal(i + 1), tiny(i), normal(i + 2), tinyWithUpstream(i), tiny(i + 1));
    records.push(huge(i + 1), huge(i + 2), normal(i + 3), normal(i + 3));
  }
  const lines = records.map((record, i) => ({ record, source: { id: '2049:1234:abcd', offset: i * 100 } }));
  const r = both(t, lines);
  t.ok(r.spans > records.length);
  t.ok(r.direct.equals(r.objects), `same bytes (${r.direct.length} B, ${r.spans} spans)`);
  const tinyOnly = both(t, [tiny(1)]);
  t.ok(tinyOnly.direct.length < 200, 'a span under 128 bytes is in the mix');
});

t.test(
  'a line that fails half-way leaves no bytes, and no stale copies for the lines after it',
  async (t) => {
    // The direct encoder copies a repeated attribute value from where it last wrote it; a line that
    // throws after its SERVER span was written is rolled back, and those positions must not be used.
    // `rollback_probe` (kept as `nginx.rollback_probe`) is a name no other test uses, so its value
    // cache starts fresh here.
    const good = (i: number, probe: string, path = `/api/items/${i}`): LogRecord => ({
      msec: `1700000000.${100 + i}`,
      request: `GET ${path}?page=1 HTTP/1.1`,
      status: '200',
      proxy_upstream_name: 'default-web-8080',
      upstream_addr: '10.0.0.1:8080',
      upstream_status: '200',
      upstream_response_time: '0.004',
      req_id: `${i.toString(16).padStart(8, '0')}9f1c4e2ab04d7c1e8f3a5b6c`,
      rollback_probe: probe,
    });
    const failing = (i: number): LogRecord =>
      Object.defineProperty(good(i, 'seen-in-the-failed-line'), 'upstream_status', {
        enumerable: true,
        get() {
          throw new Error('read after the SERVER span was written');
        },
      });
    const encoder = new DirectTraceEncoder();
    const kept: LogRecord[] = [];
    for (let i = 0; i < 6; i++) {
      kept.push(good(i, 'usual'));
      t.equal(encoder.line(kept[kept.length - 1], {}, undefined), 2);
      t.equal(encoder.line(failing(i), {}, undefined), 0, 'the failing line gives no spans');
      // the failed line's value again, written after a longer path (so at another position)
      kept.push(good(i, 'seen-in-the-failed-line', `/api/items/${i}/a/longer/path`));
      t.equal(encoder.line(kept[kept.length - 1], {}, undefined), 2);
    }
    const objects = Buffer.from(encodeTraceRequest(kept.flatMap((r) => toSpans(r))));
    t.ok(Buffer.from(encoder.finish()).equals(objects), 'the same bytes as the good lines alone');
  },
);
