// A span the store cannot hold is refused alone, in partial_success, on every receiver: never a
// 5xx that makes an exporter retry its whole batch forever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { build } from '../../../src/index.js';
import { MAX_TIME_NANOS } from '../../../src/model/span.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../../src/receivers/otlp/index.js';
import { startCollector } from '../../helpers/collector.js';
import { grpcExport } from '../../helpers/grpc-client.js';
import { decodeResponse, encodeRequest } from '../../helpers/proto.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const GOOD = 'b7ad6b7169203331';
const BAD = 'b7ad6b7169203332';
/** Past the signed 64-bit range, valid for the proto's fixed64 (the example). */
const FAR = '9300000000000000000';
const FIXED64_MAX = 2n ** 64n - 1n;

function jsonBody(badSpan: Record<string, unknown>): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: TRACE,
                spanId: GOOD,
                name: 'good',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000001000000',
              },
              { traceId: TRACE, spanId: BAD, name: 'bad', kind: 2, ...badSpan },
            ],
          },
        ],
      },
    ],
  };
}

function protoBody(start: bigint, end: bigint): Buffer {
  const long = (n: bigint) => ({
    low: Number(n & 0xffffffffn) | 0,
    high: Number(n >> 32n) | 0,
    unsigned: true,
  });
  return encodeRequest({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: Buffer.from(TRACE, 'hex'),
                spanId: Buffer.from(GOOD, 'hex'),
                name: 'good',
                startTimeUnixNano: long(1_700_000_000_000_000_000n),
                endTimeUnixNano: long(1_700_000_000_001_000_000n),
              },
              {
                traceId: Buffer.from(TRACE, 'hex'),
                spanId: Buffer.from(BAD, 'hex'),
                name: 'bad',
                startTimeUnixNano: long(start),
                endTimeUnixNano: long(end),
              },
            ],
          },
        ],
      },
    ],
  });
}

function sqliteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test(
  'the issue: one good span + one past int64 over OTLP/JSON → 200 partial success, the good one stored',
  async (t) => {
    const c = await build({
      storage: `sqlite:${join(sqliteDir(), 'a.db')}`,
      logLevel: 'silent',
      otlpGrpcPort: -1,
    });
    t.teardown(() => c.close());
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await c.otlpHttp.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: jsonBody({ startTimeUnixNano: FAR, endTimeUnixNano: FAR }),
      });
      t.equal(res.statusCode, 200, `attempt ${attempt}: not a 503`);
      t.equal(res.headers['retry-after'], undefined);
      t.equal(res.json().partialSuccess.rejectedSpans, '1');
      t.match(res.json().partialSuccess.errorMessage, /startTimeUnixNano .*64-bit/);
    }
    const stored = await c.store.getTrace(TRACE);
    t.same(
      stored.map((s) => s.spanId),
      [GOOD],
    );
  },
);

t.test('OTLP/HTTP protobuf and OTLP/gRPC: the same span refused alone', async (t) => {
  const running = await startCollector({ storage: `sqlite:${join(sqliteDir(), 'b.db')}` });
  t.teardown(() => running.collector.close());
  const res = await running.collector.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/x-protobuf' },
    payload: protoBody(9_300_000_000_000_000_000n, 9_300_000_000_000_000_001n),
  });
  t.equal(res.statusCode, 200);
  const partial = decodeResponse(res.rawPayload).partialSuccess as Record<string, unknown>;
  t.equal(partial.rejectedSpans, '1');
  t.match(partial.errorMessage, /startTimeUnixNano/);
  const g = await grpcExport(running.otlpGrpcAddress, protoBody(FIXED64_MAX, FIXED64_MAX));
  t.equal(g.error, undefined, 'gRPC: OK, not UNAVAILABLE');
  t.equal(decodeResponse(g.response!).partialSuccess !== undefined, true);
  t.equal((decodeResponse(g.response!).partialSuccess as Record<string, unknown>).rejectedSpans, '1');
  t.same(
    (await running.collector.store.getTrace(TRACE)).map((s) => s.spanId),
    [GOOD],
  );
});

t.test('time edges over the whole fixed64 range: 0 and 2^63−1 kept, 2^63 and 2^64−1 refused', async (t) => {
  const span = (start: bigint, end: bigint) =>
    decodeTracesProtobuf(protoBody(start, end)) as Extract<
      ReturnType<typeof decodeTracesProtobuf>,
      { ok: true }
    >;
  const lowest = span(0n, 0n);
  t.equal(lowest.rejectedSpans, 0, 'start = end = 0 is a valid (if odd) time');
  t.equal(lowest.spans[1].startTimeUnixNano, 0n);
  const highest = span(MAX_TIME_NANOS, MAX_TIME_NANOS);
  t.equal(highest.rejectedSpans, 0, '2^63 − 1 ns (2262-04-11) is kept');
  t.equal(highest.spans[1].endTimeUnixNano, MAX_TIME_NANOS);
  for (const [start, end, field] of [
    [MAX_TIME_NANOS + 1n, MAX_TIME_NANOS + 1n, 'startTimeUnixNano'],
    [FIXED64_MAX, FIXED64_MAX, 'startTimeUnixNano'],
    [1n, MAX_TIME_NANOS + 1n, 'endTimeUnixNano'],
    [1n, FIXED64_MAX, 'endTimeUnixNano'],
  ] as const) {
    const r = span(start, end);
    t.equal(r.rejectedSpans, 1, `${start}..${end} refused`);
    t.equal(r.spans.length, 1);
    t.match(r.rejectedReason, field);
  }
  const backwards = span(2_000n, 1_000n);
  t.equal(backwards.rejectedSpans, 0, 'an end before the start is kept');
  t.equal(backwards.spans[1].endTimeUnixNano, 2_000n, '… with its end clamped to its start (duration 0)');
  const json = decodeTracesJson(
    jsonBody({ startTimeUnixNano: '1', endTimeUnixNano: String(FIXED64_MAX + 1n) }),
  );
  t.equal(json.ok, false, 'JSON: beyond fixed64 itself is malformed (400), as a proto parser says');
  const ev = decodeTracesJson(
    jsonBody({
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
      events: [{ timeUnixNano: String(MAX_TIME_NANOS + 1n), name: 'late' }],
    }),
  );
  t.ok(
    ev.ok && ev.rejectedSpans === 1 && /events\[0\]\.timeUnixNano/.test(ev.rejectedReason),
    'event times too',
  );
});
