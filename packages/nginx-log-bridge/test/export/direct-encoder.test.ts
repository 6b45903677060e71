import type protobuf from 'protobufjs';
import t, { type Test } from 'tap';
import { benchLine } from '../../bench/lines.js';
import { DirectTraceEncoder } from '../../src/export/direct-trace-encoder.js';
import { encodeTraceRequest } from '../../src/export/encode-trace-request.js';
import { type ParserOptions, parseLine } from '../../src/parse/parse-line.js';
import type { LogRecord, ParseResult } from '../../src/parse/types.js';
import type { LineText } from '../../src/spans/line-text.js';
import type { LineSource, ToSpansOptions } from '../../src/spans/options.js';
import { SpanBuilder } from '../../src/spans/span-builder.js';
import { toSpans } from '../../src/spans/to-spans.js';
import { Request } from '../helpers/collector-stub.js';
import { fixtureLines } from '../helpers/fixtures.js';

interface Line {
  record: LogRecord;
  source: LineSource | undefined;
  /** The line's bytes and value positions, as the bridge passes them for an ASCII line. */
  text?: LineText;
}

/**
 * The line's bytes for the direct encoder (as the bridge gives them: inside a larger buffer, after
 * `prefix`, such as a CRI wrapper); undefined where the bridge gives none (no positions, not ASCII).
 */
function textOf(line: string, r: ParseResult, prefix = ''): LineText | undefined {
  if (!r.ok || r.positions === undefined) return undefined;
  const bytes = Buffer.from(`${prefix}${line}\n`, 'utf8');
  if (bytes.length !== prefix.length + line.length + 1) return undefined; // not ASCII
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    start: prefix.length,
    positions: r.positions, // parseLine's own copy for this line
  };
}

function parsed(lines: string[], options: ParserOptions, withSource: boolean, prefix = ''): Line[] {
  const out: Line[] = [];
  let offset = 0;
  for (const l of lines) {
    offset += l.length + 1;
    const r = parseLine(l, options);
    if (r.ok)
      out.push({
        record: r.record,
        source: withSource ? { id: '2049:1234:abcd', offset } : undefined,
        text: textOf(l, r, prefix),
      });
  }
  return out;
}

/** The span objects of `records`, made by one span builder (so they share one resource object). */
function spansOf(records: LogRecord[]) {
  const builder = new SpanBuilder();
  return records.flatMap((r) => builder.spans(r, {}));
}

const SpanMessage = Request.root.lookupType('opentelemetry.proto.Span');

/** The encoded size of each span in an ExportTraceServiceRequest. */
function encodedSpanSizes(request: Uint8Array): number[] {
  const decoded = Request.decode(request) as unknown as {
    resourceSpans: { scopeSpans: { spans: protobuf.Message[] }[] }[];
  };
  return decoded.resourceSpans.flatMap((r) =>
    r.scopeSpans.flatMap((s) => s.spans.map((span) => SpanMessage.encode(span).finish().length)),
  );
}

/**
 * The object path (a span builder's span objects + encodeTraceRequest), the direct path, and the
 * direct path copying values from the lines' bytes (`fromText`; the direct path again for lines
 * without them), over one batch; each path with a span builder of its own.
 */
function both(
  t: Test,
  lines: Line[],
  options: ToSpansOptions = {},
): { objects: Buffer; direct: Buffer; fromText: Buffer; spans: number } {
  const builder = new SpanBuilder();
  const spans = lines.flatMap((l) => builder.spans(l.record, options, l.source));
  const encoder = new DirectTraceEncoder();
  const textEncoder = new DirectTraceEncoder();
  let count = 0;
  let textCount = 0;
  for (const l of lines) {
    count += encoder.line(l.record, options, l.source);
    textCount += textEncoder.line(l.record, options, l.source, l.text);
  }
  t.equal(count, spans.length, 'direct path reports the same span count');
  t.equal(textCount, spans.length, "so does the direct path with the lines' bytes");
  t.equal(encoder.count, spans.length);
  return {
    objects: Buffer.from(encodeTraceRequest(spans)),
    direct: Buffer.from(encoder.finish()),
    fromText: Buffer.from(textEncoder.finish()),
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
        t.ok(
          r.fromText.equals(r.objects),
          `${name}:${i} (source: ${withSource}) same bytes from the line's bytes`,
        );
        lines++;
      }
      const batch = both(t, all, {
        serviceName: 'edge',
        resourceAttributes: { 'k8s.pod.name': 'ingress-0' },
      });
      t.ok(batch.direct.equals(batch.objects), `${name} as one batch, custom resource: same bytes`);
      t.ok(batch.fromText.equals(batch.objects), `${name} as one batch, from the lines' bytes: same bytes`);
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
    t.ok(r.fromText.equals(r.objects), `lines ${from}..${from + 999}: same bytes from the lines' bytes`);
  }
  t.ok(
    all.every((l) => l.text !== undefined),
    'every benchmark line had its bytes (the path measured)',
  );
});

t.test('values copied from the line bytes: wrapped lines, unusual ids and long values', async (t) => {
  const [base] = fixtureLines('ingress-nginx-upstreaminfo.log');
  const withId = (id: string) => base.replace(/ [0-9a-f]{32}$/, ` ${id}`);
  t.not(withId('X'), base, 'the fixture line ends with its request id');
  const texts = [
    base,
    withId('0AF7651916CD43DD8448EB211C80319C'), // uppercase: normalised, not read from the bytes
    withId('00000000000000000000000000000000'), // all zero: hashed
    withId('0af7651916cd43dd8448eb211c8031'), // 30 digits
    withId('custom-request-id-from-the-client'),
    withId(`r${'e'.repeat(130)}`), // a header value of 100+ characters
    base.replace(/"[^"]*" (\d+ \d+\.\d+ \[)/, `"${'Mozilla/5.0 '.repeat(12)}" $1`), // 100+ character user agent
    base.replace(/"GET [^ ]+/, '"GET /a/very/long/path'.padEnd(140, 'x')),
    // paths, queries and user agents of every length up to 40 (words and a last partial word)
    ...Array.from({ length: 40 }, (_, n) =>
      base
        .replace(/"GET [^ ]+/, `"GET /${'abcdefghij'.repeat(4).slice(0, n)}?${'q'.repeat(n)}`)
        .replace(/"[^"]*" (\d+ \d+\.\d+ \[)/, `"${'u'.repeat(n + 1)}" $1`),
    ),
  ];
  t.ok(
    texts.every((l) => parseLine(l, { format: 'ingress-nginx' }).ok),
    'every variant parses',
  );
  for (const prefix of ['', '2024-05-01T10:00:00.123456789Z stdout F ']) {
    const lines = parsed(texts, { format: 'ingress-nginx' }, true, prefix);
    t.equal(lines.length, texts.length);
    t.ok(lines.every((l) => l.text !== undefined));
    for (const [i, line] of lines.entries()) {
      const r = both(t, [line]);
      t.ok(r.fromText.equals(r.objects), `variant ${i} after ${JSON.stringify(prefix)}: same bytes`);
    }
    const batch = both(t, lines);
    t.ok(batch.fromText.equals(batch.objects), 'all variants as one batch: same bytes');
  }
});

t.test('request lines of every shape: the same spans from the bytes as from the text', async (t) => {
  const [base] = fixtureLines('ingress-nginx-upstreaminfo.log');
  const requests = [
    'GET /a HTTP/1.1',
    'POST /a?b=c HTTP/1.0',
    'PUT /x HTTP/2.0',
    'DELETE / HTTP/9.9',
    'HEAD /h HTTP/1.1',
    'PATCH /p?q HTTP/1.1',
    'OPTIONS * HTTP/1.1',
    'CONNECT example.com:443 HTTP/1.1',
    'TRACE /t HTTP/1.1',
    'get /lower HTTP/1.1', // not a known method: `_OTHER`
    'GETS /x HTTP/1.1',
    'GE /x HTTP/1.1',
    'PUX /x HTTP/1.1', // the length and first letter of PUT
    'HEAT /x HTTP/1.1',
    'OPTIONZ /x HTTP/1.1',
    'PROPFIND /dav HTTP/1.1',
    'GET /a HTTP/1.', // 7 characters: not `HTTP/x.y`
    'GET /a HTTP/1.11',
    'GET /a HTTP/a.1',
    'GET /a HTTP/1:1',
    'GET /a HTTPS/1.1',
    'GET /a http/1.1',
    'GET /a XTTP/1.1',
    'GET /a  HTTP/1.1', // two spaces: the target is `/a `
    'GET HTTP/1.1', // one space: no protocol, the target is `HTTP/1.1`
    'GET /only-a-target',
    'GET /a?b HTTP/1.1?x',
    'GET /a HTTP/1.1?x', // a `?` after the target only
    'GET /a HTTP/1.1 HTTP/1.1',
    'GET  HTTP/1.1',
    'X /a HTTP/1.1',
    'LONGMETHOD /a HTTP/1.1',
    'GET /?',
    'GET ? HTTP/1.1',
    'GET',
    ' GET /lead HTTP/1.1',
  ];
  const texts = requests.map((r) => base.replace(/"GET [^"]*"/, `"${r}"`));
  t.ok(
    texts.every((l, i) => {
      const r = parseLine(l, { format: 'ingress-nginx' });
      return r.ok && r.record.request === requests[i];
    }),
    'every variant parses with its request',
  );
  const lines = parsed(texts, { format: 'ingress-nginx' }, true);
  t.ok(
    lines.every((l) => l.text !== undefined),
    'every variant has its bytes',
  );
  for (const [i, line] of lines.entries()) {
    const r = both(t, [line]);
    t.ok(r.fromText.equals(r.objects), `${JSON.stringify(requests[i])}: same bytes from the line's bytes`);
  }
  const attrs = (i: number) => toSpans(lines[i].record)[0].attributes;
  t.hasStrict(attrs(1), {
    'http.request.method': 'POST',
    'url.path': '/a',
    'url.query': 'b=c',
    'network.protocol.version': '1.0',
  });
  t.hasStrict(attrs(9), { 'http.request.method': '_OTHER', 'http.request.method_original': 'get' });
  t.hasStrict(attrs(16), { 'network.protocol.name': 'http', 'network.protocol.version': '1.' }, 'as logged');
  t.equal(attrs(20)['network.protocol.name'], undefined, '`HTTPS/1.1` is no HTTP protocol');
  t.equal(attrs(23)['url.path'], '/a ', 'two spaces: the last one ends the target');
  t.equal(attrs(24)['url.path'], 'HTTP/1.1', 'one space: all after it is the target');
  t.equal(attrs(26)['url.query'], 'b');
  t.hasStrict(attrs(27), { 'url.path': '/a' }, 'a `?` in the protocol part is not the query');
  t.equal(attrs(27)['url.query'], undefined);
});

t.test('numbers of every form: the direct path writes what the object path does', async (t) => {
  // `$request_time`, `$body_bytes_sent` and the one attempt's time and length, quoted so that any
  // text is a value.
  const format =
    '$remote_addr [$time_local] "$request" $status "$body_bytes_sent" "$request_length" "$request_time" ' +
    '$upstream_addr "$upstream_response_length" "$upstream_response_time" $upstream_status $req_id';
  const numbers = [
    '0',
    '7',
    '612',
    '007',
    '0.005',
    '1.25',
    '10.000',
    '.5',
    '5.',
    '1.2.3',
    '-',
    '',
    '-1',
    '+3',
    '1e3',
    '0x10',
    ' 4',
    '4 ',
    '0.004s',
    '123456789012345', // 15 digits
    '1234567890123456', // 16: past the exact-integer path
    '12345678901234567',
    '0.000000000000001',
    '0.0000000000000001',
    '99999999999999.9',
    '1,5',
    'abc',
  ];
  const texts = numbers.map(
    (v, i) =>
      `10.0.0.${i} [21/Mar/2022:16:00:09 +0000] "GET /n/${i} HTTP/1.1" 200 "${v}" "${numbers[(i + 1) % numbers.length]}" "${v}" ` +
      `10.244.0.5:8080 "${numbers[(i + 2) % numbers.length]}" "${v}" 200 ${'0123456789abcdef'.repeat(2).slice(i % 16)}${'f'.repeat(i % 16)}`,
  );
  const lines = parsed(texts, { logFormat: format }, true);
  t.equal(lines.length, texts.length, 'every variant parses');
  t.ok(
    lines.every((l) => l.text !== undefined),
    'every variant has its bytes',
  );
  for (const [i, line] of lines.entries()) {
    const r = both(t, [line]);
    t.ok(r.direct.equals(r.objects), `${JSON.stringify(numbers[i])}: same bytes`);
    t.ok(r.fromText.equals(r.objects), `${JSON.stringify(numbers[i])}: same bytes from the line's bytes`);
  }
  const body = (i: number, span: number) =>
    toSpans(lines[i].record)[span].attributes['http.response.body.size'];
  t.equal(body(5, 0), undefined, '1.25 is no byte count');
  t.equal(body(2, 0), 612);
  t.equal(body(3, 0), 7, '007');
  t.equal(body(20, 0), 1234567890123456, '16 digits, from the text');
  t.equal(body(18, 1), 1234567890123456, "the attempt's length too");
  const { startTime, endTime } = toSpans(lines[4].record)[1];
  t.equal((endTime[0] - startTime[0]) * 1e9 + endTime[1] - startTime[1], 5_000_000, 'an attempt of 0.005 s');
});

t.test('lines whose values are not the logged text get no positions', async (t) => {
  const [base] = fixtureLines('ingress-nginx-upstreaminfo.log');
  const escaped = base.replace(/"GET [^ ]+/, '"GET /caf\\xC3\\xA9');
  const r = parseLine(escaped, { format: 'ingress-nginx' });
  t.ok(r.ok && r.record.request.startsWith('GET /café'), 'the escape is decoded');
  t.ok(r.ok && r.positions === undefined, 'so the values are not where the line has them');
  const plain = parseLine(base, { format: 'ingress-nginx' });
  t.ok(plain.ok && plain.positions !== undefined);
  if (!plain.ok || plain.positions === undefined) return;
  const { variables, offsets } = plain.positions;
  t.equal(variables.length, offsets.length);
  for (let i = 0; i < variables.length; i++) {
    const value = plain.record[variables[i]];
    t.equal(base.slice(offsets[i], offsets[i] + value.length), value, `${variables[i]} is at its offset`);
  }
  const json = parseLine(fixtureLines('ingress-json-traceparent.log')[0], { format: 'json' });
  t.ok(json.ok && json.positions === undefined, 'JSON lines carry no positions');
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
  // from that span's bytes; spans over 16 KiB, and status messages under 128 B, are moved when
  // their length is written, so the copies must follow them.
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
  const tinyOnly = both(t, [{ record: tiny(1), source: undefined }]);
  t.equal(tinyOnly.spans, 1);
  // The smallest span the bridge makes: just the layer and the time precision (its status, under
  // 128 B, is the message moved when its length is written).
  t.ok(encodedSpanSizes(tinyOnly.direct)[0] < 150, 'the smallest span is in the mix');
});

t.test(
  'a line that fails half-way leaves no bytes, and no stale copies for the lines after it',
  async (t) => {
    // The direct encoder copies a repeated attribute value from where it last wrote it; a line that
    // throws after its SERVER span was written is rolled back, and those positions must not be used.
    // `rollback_probe` is kept as `nginx.rollback_probe`, an attribute with a value cache of its own.
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
    const objects = Buffer.from(encodeTraceRequest(spansOf(kept)));
    t.ok(Buffer.from(encoder.finish()).equals(objects), 'the same bytes as the good lines alone');
  },
);

t.test('a reset encoder writes the next batch as a new one would, in the same memory', async (t) => {
  // A value remembered at the end of one batch must not be copied from that position in the next:
  // by then other bytes sit there. `reset_probe` is kept as `nginx.reset_probe`, an attribute with a
  // value cache of its own.
  const line = (i: number, probe: string): LogRecord => ({
    msec: `1700000000.${100 + i}`,
    request: `GET /api/items/${i} HTTP/1.1`,
    status: '200',
    req_id: `${i.toString(16).padStart(8, '0')}9f1c4e2ab04d7c1e8f3a5b6c`,
    reset_probe: probe,
  });
  const first = [line(0, 'pad'), line(1, 'pad'), line(2, 'pad'), line(3, 'remembered-at-the-end')];
  // No probe at all until the writer is past where the first batch left it, then the same value.
  const second = [...[4, 5, 6, 7, 8, 9].map((i) => line(i, '-')), line(10, 'remembered-at-the-end')];
  const encoder = new DirectTraceEncoder();
  const batches: Uint8Array[] = [];
  for (const batch of [first, second]) {
    encoder.reset();
    for (const r of batch) t.equal(encoder.line(r, {}, undefined), 1);
    batches.push(encoder.finish());
  }
  t.equal(batches[0].buffer, batches[1].buffer, 'the second batch is written into the same memory');
  const expected = Buffer.from(encodeTraceRequest(spansOf(second)));
  t.ok(Buffer.from(batches[1]).equals(expected), 'the second batch: the same bytes as its lines alone');
  t.ok(batches[1].length > batches[0].length, 'the writer passed where the first batch ended');
});

t.test('timestamps of every size, before 1970 included: byte-identical to the object path', async (t) => {
  const records: LogRecord[] = [];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const decimals = (x: number) => x.toFixed(3);
  for (let i = 0; i < 2000; i++) {
    // seconds up to 2^33 (lo words of every size), fractions of every millisecond
    const end = i % 100 === 0 ? random() * 10 : random() * 2 ** 33;
    records.push({
      msec: decimals(end),
      request_time: decimals(random() * (i % 7 === 0 ? 5000 : 2)),
      request: 'GET /t HTTP/1.1',
      status: '200',
      upstream_addr: '10.0.0.1:8080',
      upstream_status: '200',
      upstream_response_time: decimals(random()),
      req_id: `${i.toString(16).padStart(8, '0')}9f1c4e2ab04d7c1e8f3a5b6c`,
    });
  }
  records.push({ ...records[0], msec: '0.000', request_time: '0.000' });
  const withoutMsec = Object.fromEntries(Object.entries(records[0]).filter(([k]) => k !== 'msec'));
  records.push({ ...withoutMsec, time_local: '01/Jan/1969:00:00:00 +0000' });
  records.push({ ...records[0], msec: '0.001', request_time: '5.000' }); // starts before 1970
  const lines = records.map((record) => ({ record, source: undefined }));
  const r = both(t, lines);
  t.equal(r.spans, records.length * 2);
  t.ok(r.direct.equals(r.objects), `same bytes (${r.spans} spans)`);
});
