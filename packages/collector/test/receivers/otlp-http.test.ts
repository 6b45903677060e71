import { gzipSync } from 'node:zlib';
import t from 'tap';
import { build } from '../../src/index.js';
import { createGatedStore } from '../helpers/gated-store.js';
import { otlpJson } from '../helpers/otlp-json.js';
import { decodeResponse, encodeRequest } from '../helpers/proto.js';

const JSON_CT = { 'content-type': 'application/json' };
const PROTO_CT = { 'content-type': 'application/x-protobuf' };

async function collector(opts: Parameters<typeof build>[0] = {}) {
  const c = await build({ storage: 'memory', logLevel: 'silent', otlpGrpcPort: -1, ...opts });
  t.teardown(() => c.close());
  return c;
}

function protoBody(good: number, bad: number): Buffer {
  const spans = [];
  for (let i = 0; i < good; i++) {
    spans.push({
      traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
      spanId: Buffer.from(`11121314151617${(i + 16).toString(16)}`, 'hex'),
      name: `p${i}`,
    });
  }
  for (let i = 0; i < bad; i++)
    spans.push({ traceId: Buffer.alloc(16), spanId: Buffer.alloc(8, 1), name: 'zero' });
  return encodeRequest({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

t.test('JSON: 200 with an empty response, spans stored', async (t) => {
  const c = await collector();
  const { body, traceId } = otlpJson(3);
  const res = await c.otlpHttp.inject({ method: 'POST', url: '/v1/traces', headers: JSON_CT, payload: body });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  t.same(res.json(), {});
  t.equal((await c.store.getTrace(traceId)).length, 3);
});

t.test('JSON: partial_success with rejected_spans', async (t) => {
  const c = await collector();
  const { body, traceId } = otlpJson(2, { bad: 3 });
  const res = await c.otlpHttp.inject({ method: 'POST', url: '/v1/traces', headers: JSON_CT, payload: body });
  t.equal(res.statusCode, 200);
  t.equal(res.json().partialSuccess.rejectedSpans, '3');
  t.match(res.json().partialSuccess.errorMessage, /invalid trace id/);
  t.equal((await c.store.getTrace(traceId)).length, 2);
});

t.test('protobuf: response in protobuf, partial_success decodes', async (t) => {
  const c = await collector();
  const ok = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: PROTO_CT,
    payload: protoBody(2, 0),
  });
  t.equal(ok.statusCode, 200);
  t.equal(ok.headers['content-type'], 'application/x-protobuf');
  t.equal(ok.rawPayload.length, 0, 'empty ExportTraceServiceResponse');
  const partial = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: PROTO_CT,
    payload: protoBody(1, 2),
  });
  t.equal(partial.statusCode, 200);
  const decoded = decodeResponse(partial.rawPayload);
  t.same((decoded.partialSuccess as Record<string, unknown>).rejectedSpans, '2');
  t.match((decoded.partialSuccess as Record<string, unknown>).errorMessage, /invalid trace id/);
  t.equal((await c.store.getTrace('0102030405060708090a0b0c0d0e0f10')).length, 2);
});

t.test('gzip bodies (protobuf and JSON)', async (t) => {
  const c = await collector();
  const res = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { ...PROTO_CT, 'content-encoding': 'gzip' },
    payload: gzipSync(protoBody(3, 0)),
  });
  t.equal(res.statusCode, 200);
  const { body, traceId } = otlpJson(4);
  const res2 = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { ...JSON_CT, 'content-encoding': 'gzip' },
    payload: gzipSync(JSON.stringify(body)),
  });
  t.equal(res2.statusCode, 200);
  t.equal((await c.store.getTrace(traceId)).length, 4);
});

t.test('bad input: 400/413/415 with a reason, in the request encoding', async (t) => {
  const c = await collector({ maxBodyBytes: 1024 * 1024 });
  const post = (headers: Record<string, string>, payload: string | Buffer) =>
    c.otlpHttp.inject({ method: 'POST', url: '/v1/traces', headers, payload });

  const badJson = await post(JSON_CT, '{"resourceSpans": [');
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().code, 3, 'google.rpc.Status INVALID_ARGUMENT');
  t.match(badJson.json().message, /malformed JSON/);

  const badShape = await post(JSON_CT, '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 7}]}]}]}');
  t.equal(badShape.statusCode, 400);
  t.match(badShape.json().message, /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.name/);

  const badProto = await post(PROTO_CT, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]));
  t.equal(badProto.statusCode, 400);
  t.equal(badProto.headers['content-type'], 'application/x-protobuf');
  t.ok(badProto.rawPayload.length > 0, 'a google.rpc.Status body');

  const wrongType = await post({ 'content-type': 'text/plain' }, 'hello');
  t.equal(wrongType.statusCode, 415);
  t.match(wrongType.json().message, /unsupported content-type/);

  const noType = await c.otlpHttp.inject({ method: 'POST', url: '/v1/traces', payload: 'x' });
  t.equal(noType.statusCode, 415);

  const oversize = await post(JSON_CT, Buffer.alloc(2 * 1024 * 1024, 0x20));
  t.equal(oversize.statusCode, 413);

  const badGzip = await post({ ...JSON_CT, 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'));
  t.equal(badGzip.statusCode, 400);
  t.match(badGzip.json().message, /malformed gzip/);

  const brotli = await post({ ...JSON_CT, 'content-encoding': 'br' }, Buffer.from('x'));
  t.equal(brotli.statusCode, 415);

  // A gzip bomb: 64 MiB of zeros in ~64 KiB; refused once 1 MiB is inflated.
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  t.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes on the wire`);
  const bombed = await post({ ...PROTO_CT, 'content-encoding': 'gzip' }, bomb);
  t.equal(bombed.statusCode, 413);
  t.match(bombed.headers['content-type'], /protobuf/);

  const after = await post(JSON_CT, JSON.stringify(otlpJson(1).body));
  t.equal(after.statusCode, 200, 'still serving');
  const text = await c.metrics.registry.metrics();
  t.match(text, /crosstrace_export_requests_total\{receiver="otlp-http",code="400"\} 4/, '400s counted');
  t.match(text, /crosstrace_export_requests_total\{receiver="otlp-http",code="413"\} 2/, '413s counted');
});

t.test(
  'acknowledged only after commit; queue bound → 429 with Retry-After; store failure → 503',
  async (t) => {
    const store = createGatedStore();
    const c = await collector({ store, maxQueueSpans: 10, retryAfterSeconds: 7 });
    const first = c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_CT,
      payload: otlpJson(6).body,
    });
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    t.notOk(firstDone, 'no answer before the commit');
    t.equal(c.writer.depth().spans, 6);
    const refused = await c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_CT,
      payload: otlpJson(6).body,
    });
    t.equal(refused.statusCode, 429, 'beyond the queue bound');
    t.equal(refused.headers['retry-after'], '7');
    t.equal(refused.json().code, 8, 'RESOURCE_EXHAUSTED');
    const fits = c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_CT,
      payload: otlpJson(4).body,
    });
    while (c.writer.depth().spans < 10) await new Promise((r) => setTimeout(r, 5));
    t.equal(c.writer.depth().spans, 10, 'a batch that fits is queued');
    const full = await c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_CT,
      payload: otlpJson(1).body,
    });
    t.equal(full.statusCode, 429, 'a full queue refuses before reading the body');
    store.open();
    t.equal((await first).statusCode, 200);
    t.equal((await fits).statusCode, 200);
    t.equal(store.committed.length, 10);
    t.equal(c.writer.depth().spans, 0);

    store.failing = true;
    const failed = await c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_CT,
      payload: otlpJson(2).body,
    });
    t.equal(failed.statusCode, 503);
    t.equal(failed.headers['retry-after'], '7');
  },
);

t.test('bearer token', async (t) => {
  const c = await collector({ ingestToken: 's3cret' });
  const payload = otlpJson(1).body;
  const none = await c.otlpHttp.inject({ method: 'POST', url: '/v1/traces', headers: JSON_CT, payload });
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer');
  const wrong = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { ...JSON_CT, authorization: 'Bearer nope' },
    payload,
  });
  t.equal(wrong.statusCode, 401);
  const right = await c.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { ...JSON_CT, authorization: 'Bearer s3cret' },
    payload,
  });
  t.equal(right.statusCode, 200);
  const health = await c.otlpHttp.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200, 'health stays open');
});
