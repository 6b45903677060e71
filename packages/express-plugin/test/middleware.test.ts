import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { contextFromRequestId, LAYER_ATTRIBUTE } from '@crosstrace/tracer';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import express from 'express';
import t from 'tap';
import { ATTR_ABORTED, crosstrace, getRequestSpan } from '../src/index.js';
import { close, countingProvider, createTestTracer, serverSpans, waitForSpans } from './helpers/tracing.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
// finalhandler prints errors to stderr outside the test env
process.env.NODE_ENV = 'test';
const tt = createTestTracer();
const { exporter } = tt;
const counting = countingProvider(tt.provider);
let handlerReached: () => void = () => {};
let abortedClosed: Promise<void> = Promise.resolve();

const app = express();
app.use(
  crosstrace({
    tracer: { provider: counting.provider, propagator: tt.propagator },
    trustedProxies: ['loopback'],
  }),
);
// the public form, on a second app: app.use(crosstrace({ tracer })) with a createTracer() result
const plain = express();
plain.use(crosstrace({ tracer: tt.tracer }));
plain.get('/ot/:id', async (_req, res) => {
  await sleep(1);
  const span = tt.tracer.startSpan('ot.child');
  await sleep(1);
  span.finish();
  res.send('ot');
});
app.get('/customer/:id', (req, res) => {
  res.json({
    id: req.params.id,
    spanIsReqSpan: getRequestSpan(req) === (req as unknown as { span: unknown }).span,
  });
});
const api = express.Router();
api.get('/orders/:orderId', (_req, res) => {
  res.send('order');
});
app.use('/api', api);
const users = express.Router();
const userPosts = express.Router();
userPosts.get('/:postId', (_req, res) => {
  res.send('post');
});
users.use('/:userId/posts', userPosts);
users.get('/:userId', (_req, res) => {
  res.send('user');
});
app.use('/users', users);
app.get('/boom', async () => {
  await sleep(1);
  throw new Error('kaboom');
});
app.get('/teapot', (_req, res) => {
  res.status(503).send('unavailable');
});
app.get('/nested', async (_req, res) => {
  await sleep(2);
  const tracer = trace.getTracer('test');
  const child = tracer.startSpan('db.query');
  await sleep(2);
  child.end();
  res.send('ok');
});
app.get('/stream', async (_req, res) => {
  res.setHeader('content-type', 'text/plain');
  for (let i = 0; i < 5; i++) {
    res.write(`chunk ${i}\n`);
    await sleep(5);
  }
  res.end('done\n');
});
app.get('/hang', (req, res) => {
  abortedClosed = new Promise((resolve) => res.once('close', () => resolve()));
  res.write('partial');
  handlerReached();
  void req;
});
app.get('/healthz', (_req, res) => {
  res.send('ok');
});

const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const { port } = server.address() as { port: number };
const base = `http://127.0.0.1:${port}`;
const plainServer = plain.listen(0, '127.0.0.1');
await new Promise((r) => plainServer.once('listening', r));
const plainBase = `http://127.0.0.1:${(plainServer.address() as { port: number }).port}`;
t.teardown(async () => {
  await close(plainServer);
  await close(server);
  await tt.shutdown();
});

t.beforeEach(() => exporter.reset());

function only(name: string) {
  return waitForSpans(exporter, (spans) => serverSpans(spans).some((s) => s.name === name)).then((spans) => {
    const matching = serverSpans(spans).filter((s) => s.name === name);
    return matching[0];
  });
}

t.test('incoming traceparent is honoured and the route template names the span', async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const res = await fetch(`${base}/customer/42?token=secret&x=1`, {
    headers: {
      traceparent: `00-${traceId}-${parentId}-01`,
      'user-agent': 'tap-test',
      'x-forwarded-for': '203.0.113.7, 127.0.0.1',
    },
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { id: string; spanIsReqSpan: boolean };
  t.equal(body.id, '42');
  t.ok(body.spanIsReqSpan, 'req.span is the server span');
  const span = await only('GET /customer/:id');
  t.equal(span.spanContext().traceId, traceId);
  t.equal(span.parentSpanContext?.spanId, parentId);
  t.equal(span.parentSpanContext?.isRemote, true);
  t.equal(span.kind, 1, 'SERVER');
  t.same(
    span.instrumentationScope,
    { name: '@crosstrace/express-plugin', version: PACKAGE_VERSION },
    'the scope carries the version in package.json',
  );
  const a = span.attributes;
  t.equal(a[LAYER_ATTRIBUTE], 'app');
  t.equal(a['http.request.method'], 'GET');
  t.equal(a['http.route'], '/customer/:id');
  t.equal(a['url.path'], '/customer/42');
  t.equal(a['url.query'], 'token=REDACTED&x=1');
  t.equal(a['http.response.status_code'], 200);
  t.equal(a['user_agent.original'], 'tap-test');
  t.equal(a['client.address'], '203.0.113.7', 'X-Forwarded-For believed from a trusted (loopback) proxy');
  t.equal(a['server.address'], '127.0.0.1');
  t.equal(a['server.port'], port);
  t.equal(a['network.protocol.version'], '1.1');
  t.equal(span.status.code, SpanStatusCode.UNSET);
  t.equal(counting.endCalls.get(span.spanContext().spanId), 1, 'ended once');
});

t.test('HTTP/1.0 and the Host header forms reach the span attributes', async (t) => {
  const ask = (head: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`${head}\r\n\r\n`));
      let got = '';
      socket.on('data', (c) => {
        got += c.toString();
      });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
  for (const [head, address, serverPort, version] of [
    ['GET /customer/1 HTTP/1.0\r\nHost: shop.example:8443', 'shop.example', 8443, '1.0'],
    ['GET /customer/2 HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nConnection: close', '2001:db8::1', 8080, '1.1'],
    ['GET /customer/3 HTTP/1.1\r\nHost: shop.example\r\nConnection: close', 'shop.example', undefined, '1.1'],
    ['GET /customer/4 HTTP/1.1\r\nHost: shop.example:8443\r\nConnection: close', 'shop.example', 8443, '1.1'],
  ] as const) {
    exporter.reset();
    const answer = await ask(head);
    t.match(answer, /^HTTP\/1\.1 200/, head);
    const a = (await only('GET /customer/:id')).attributes;
    t.equal(a['network.protocol.version'], version, `${head}: protocol version`);
    t.equal(a['server.address'], address, `${head}: server.address`);
    t.equal(a['server.port'], serverPort, `${head}: server.port`);
  }
});

t.test('X-Request-ID without trace context joins the derived ingress trace', async (t) => {
  const requestId = 'a3f1c0de9b8e4f6a8d7c6b5a49382716';
  const res = await fetch(`${base}/customer/7`, { headers: { 'x-request-id': requestId } });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  const span = await only('GET /customer/:id');
  const ingress = contextFromRequestId(requestId)!;
  t.equal(span.spanContext().traceId, ingress.traceId);
  t.equal(span.parentSpanContext?.spanId, ingress.spanId, 'parent is the last upstream attempt span');
  t.same(span.attributes['http.request.header.x-request-id'], [requestId]);
});

t.test('a traceparent wins over X-Request-ID', async (t) => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const res = await fetch(`${base}/customer/8`, {
    headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'x-request-id': 'some-request' },
  });
  await res.arrayBuffer();
  const span = await only('GET /customer/:id');
  t.equal(span.spanContext().traceId, traceId);
  t.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331');
});

t.test('a nested router gives baseUrl + route path', async (t) => {
  const res = await fetch(`${base}/api/orders/99`);
  t.equal(await res.text(), 'order');
  const span = await only('GET /api/orders/:orderId');
  t.equal(span.attributes['http.route'], '/api/orders/:orderId');
  t.notOk(span.parentSpanContext, 'a new trace without incoming context');
});

t.test('a thrown (async) error: 500, error status, exception recorded, ended once', async (t) => {
  const res = await fetch(`${base}/boom`);
  t.equal(res.status, 500);
  await res.arrayBuffer();
  const span = await only('GET /boom');
  t.equal(span.status.code, SpanStatusCode.ERROR);
  t.equal(span.status.message, 'kaboom');
  t.equal(span.attributes['http.response.status_code'], 500);
  t.equal(span.attributes['error.type'], 'Error');
  const ex = span.events.find((e) => e.name === 'exception');
  t.ok(ex, 'exception event');
  t.equal(ex?.attributes?.['exception.message'], 'kaboom');
  t.equal(counting.endCalls.get(span.spanContext().spanId), 1);
});

t.test('a 5xx response without a thrown error is an error', async (t) => {
  const res = await fetch(`${base}/teapot`);
  t.equal(res.status, 503);
  await res.arrayBuffer();
  const span = await only('GET /teapot');
  t.equal(span.status.code, SpanStatusCode.ERROR);
  t.equal(span.attributes['error.type'], '503');
  t.equal(span.events.length, 0);
});

t.test('a 404 is named by the method alone and is not an error', async (t) => {
  const res = await fetch(`${base}/no/such/path/123`);
  t.equal(res.status, 404);
  await res.arrayBuffer();
  const span = await only('GET');
  t.equal(span.attributes['http.response.status_code'], 404);
  t.equal(span.attributes['http.route'], undefined);
  t.equal(span.status.code, SpanStatusCode.UNSET);
  t.equal(counting.endCalls.get(span.spanContext().spanId), 1);
});

t.test('a nested async child span has the server span as parent', async (t) => {
  const res = await fetch(`${base}/nested`);
  t.equal(await res.text(), 'ok');
  const spans = await waitForSpans(exporter, (s) => s.some((x) => x.name === 'GET /nested'));
  const server = spans.find((s) => s.name === 'GET /nested')!;
  const child = spans.find((s) => s.name === 'db.query');
  t.ok(child, 'child span exported');
  t.equal(child?.spanContext().traceId, server.spanContext().traceId);
  t.equal(child?.parentSpanContext?.spanId, server.spanContext().spanId);
});

t.test('a streaming response ends the span once, after the last chunk', async (t) => {
  const res = await fetch(`${base}/stream`);
  const text = await res.text();
  const received = Date.now();
  t.equal(text.split('\n').length, 7);
  const span = await only('GET /stream');
  t.equal(span.attributes['http.response.status_code'], 200);
  t.equal(span.status.code, SpanStatusCode.UNSET);
  t.notOk(span.attributes[ATTR_ABORTED]);
  const durationMs = span.duration[0] * 1e3 + span.duration[1] / 1e6;
  t.ok(durationMs >= 20, `span covers the stream (${durationMs} ms)`);
  t.ok(span.endTime[0] * 1e3 + span.endTime[1] / 1e6 <= received + 1, 'ended by the time the body arrived');
  t.equal(counting.endCalls.get(span.spanContext().spanId), 1);
});

t.test('a request the client aborts is marked aborted and ended once', async (t) => {
  const reached = new Promise<void>((resolve) => {
    handlerReached = resolve;
  });
  const req = httpRequest(`${base}/hang`);
  req.on('error', () => {});
  req.on('response', (res) => {
    res.on('error', () => {});
    res.once('data', () => req.destroy());
  });
  req.end();
  await reached;
  await abortedClosed;
  const span = await only('GET /hang');
  t.equal(span.attributes[ATTR_ABORTED], true);
  t.equal(span.attributes['error.type'], 'aborted');
  t.equal(span.status.code, SpanStatusCode.ERROR);
  t.equal(span.attributes['http.response.status_code'], 200, 'headers were sent before the abort');
  // let any late 'finish'/'close' event run before counting
  await sleep(20);
  t.equal(counting.endCalls.get(span.spanContext().spanId), 1);
  t.equal(serverSpans(exporter.getFinishedSpans()).filter((s) => s.name === 'GET /hang').length, 1);
});

t.test('health checks are not traced', async (t) => {
  const res = await fetch(`${base}/healthz`);
  t.equal(await res.text(), 'ok');
  const after = await fetch(`${base}/customer/1`);
  await after.arrayBuffer();
  const spans = await waitForSpans(exporter, (s) => s.some((x) => x.name === 'GET /customer/:id'));
  t.notOk(
    spans.some((s) => s.attributes['url.path'] === '/healthz'),
    'no span for /healthz',
  );
});

t.test('createTracer() result as the tracer; an OpenTracing child nests under the server span', async (t) => {
  const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
  const res = await fetch(`${plainBase}/ot/3`, {
    headers: { traceparent: `00-${traceId}-10f067aa0ba902b7-01` },
  });
  t.equal(await res.text(), 'ot');
  const spans = await waitForSpans(exporter, (s) => s.some((x) => x.name === 'GET /ot/:id'));
  const server = spans.find((s) => s.name === 'GET /ot/:id')!;
  const child = spans.find((s) => s.name === 'ot.child');
  t.equal(server.spanContext().traceId, traceId);
  t.equal(server.parentSpanContext?.spanId, '10f067aa0ba902b7');
  t.equal(server.attributes['crosstrace.layer'], 'app');
  t.equal(child?.spanContext().traceId, traceId);
  t.equal(child?.parentSpanContext?.spanId, server.spanContext().spanId);
});

t.test('an unknown method is _OTHER and names the span HTTP', async (t) => {
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = httpRequest(`${base}/customer/1`, { method: 'PURGE' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 404);
  const span = await only('HTTP');
  t.equal(span.attributes['http.request.method'], '_OTHER');
  t.equal(span.attributes['http.request.method_original'], 'PURGE');
});

t.test('routers mounted on paths with parameters give their templates', async (t) => {
  t.equal(await (await fetch(`${base}/users/u1/posts/p9`)).text(), 'post');
  const post = await only('GET /users/:userId/posts/:postId');
  t.equal(post.attributes['http.route'], '/users/:userId/posts/:postId');
  exporter.reset();
  t.equal(await (await fetch(`${base}/users/u2`)).text(), 'user');
  await only('GET /users/:userId');
});
