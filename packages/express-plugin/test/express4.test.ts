import { SpanStatusCode, trace } from '@opentelemetry/api';
// Express 4 through the `express4` alias (npm:express@4; types from the `@types/express4` alias).
import express4 from 'express4';
import t from 'tap';
import { crosstrace, crosstraceErrors } from '../src/index.js';
import { close, createTestTracer, listen, serverSpans, waitForSpans } from './helpers/tracing.js';

// finalhandler prints errors to stderr outside the test env
process.env.NODE_ENV = 'test';
const tt = createTestTracer();
const { exporter } = tt;

type Req = { params: Record<string, string> };
type Res = { send(b: string): void; status(n: number): Res };
type Next = (err?: unknown) => void;

const app = express4();
app.use(crosstrace({ tracer: tt.tracer }));
app.get('/customer/:id', (req: Req, res: Res) => res.send(req.params.id));
const router = express4.Router();
router.get('/:sku/stock', (_req: Req, res: Res) => res.send('12'));
router.get('/', (_req: Req, res: Res) => res.send('index'));
app.use('/items', router);
const shops = express4.Router();
const shopItems = express4.Router();
shopItems.get('/:itemId', (_req: Req, res: Res) => res.send('item'));
shops.use('/:shopId/items', shopItems);
app.use('/shops', shops);
app.get('/sync-throw', () => {
  throw new Error('sync failure');
});
app.get('/next-error', (_req: Req, _res: Res, next: Next) => {
  setImmediate(() => next(Object.assign(new Error('not found here'), { status: 404 })));
});
app.get('/child', (_req: Req, res: Res) => {
  setTimeout(() => {
    const child = trace.getTracer('test').startSpan('work');
    child.end();
    res.send('ok');
  }, 2);
});
app.use(crosstraceErrors());
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = await listenUrl();
async function listenUrl() {
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}
void listen;
t.teardown(async () => {
  await close(server);
  await tt.shutdown();
});
t.beforeEach(() => exporter.reset());

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  await res.arrayBuffer();
  return res.status;
}
async function span(name: string) {
  const spans = await waitForSpans(exporter, (s) => serverSpans(s).some((x) => x.name === name));
  return serverSpans(spans).filter((x) => x.name === name);
}

t.test('Express 4: traceparent honoured, route template names the span', async (t) => {
  t.equal(
    await get('/customer/5', { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' }),
    200,
  );
  const [s] = await span('GET /customer/:id');
  t.equal(s.spanContext().traceId, '11111111111111111111111111111111');
  t.equal(s.parentSpanContext?.spanId, '2222222222222222');
  t.equal(s.attributes['http.route'], '/customer/:id');
  t.equal(s.attributes['crosstrace.layer'], 'app');
});

t.test('Express 4: mounted router routes', async (t) => {
  t.equal(await get('/items/abc/stock'), 200);
  t.equal((await span('GET /items/:sku/stock')).length, 1);
  t.equal(await get('/items'), 200);
  t.equal((await span('GET /items')).length, 1, 'router root route is the mount path');
});

t.test('Express 4: a sync throw is recorded by crosstraceErrors and ends the span as an error', async (t) => {
  t.equal(await get('/sync-throw'), 500);
  const [s] = await span('GET /sync-throw');
  t.equal(s.status.code, SpanStatusCode.ERROR);
  t.equal(s.status.message, 'sync failure');
  t.equal(s.events.filter((e) => e.name === 'exception').length, 1);
});

t.test('Express 4: an error declaring a 4xx status is recorded but not an error status', async (t) => {
  t.equal(await get('/next-error'), 404);
  const [s] = await span('GET /next-error');
  t.equal(s.status.code, SpanStatusCode.UNSET);
  t.equal(s.attributes['http.response.status_code'], 404);
  t.equal(s.events.filter((e) => e.name === 'exception').length, 1);
});

t.test('Express 4: 404 falls back to the method', async (t) => {
  t.equal(await get('/nothing'), 404);
  const [s] = await span('GET');
  t.equal(s.attributes['url.path'], '/nothing');
});

t.test('Express 4: a child started in a timer callback nests under the server span', async (t) => {
  t.equal(await get('/child'), 200);
  const spans = await waitForSpans(exporter, (s) => s.some((x) => x.name === 'GET /child'));
  const server = spans.find((s) => s.name === 'GET /child')!;
  const child = spans.find((s) => s.name === 'work');
  t.equal(child?.parentSpanContext?.spanId, server.spanContext().spanId);
});

t.test('Express 4: routers mounted on paths with parameters give their templates', async (t) => {
  t.equal(await get('/shops/s%201/items/i7'), 200);
  const [s] = await span('GET /shops/:shopId/items/:itemId');
  t.equal(s.attributes['http.route'], '/shops/:shopId/items/:itemId');
});
