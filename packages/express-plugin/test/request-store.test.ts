import { createServer, IncomingMessage } from 'node:http';
import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import t from 'tap';
import { crosstrace, getRequestSpan } from '../src/index.js';
import { requestState, storeRequestState } from '../src/request-store.js';
import { close, createTestTracer, listen } from './helpers/tracing.js';

process.env.NODE_ENV = 'test';
const tt = createTestTracer();
t.teardown(() => tt.shutdown());

interface Seen {
  hasSpan: boolean;
  same: boolean;
  ownKeys: string[];
}

/** What a handler sees of `req.span`, and the own properties the plugin left on `req`. */
function look(req: IncomingMessage, before: Set<string | symbol>): Seen {
  const span = (req as unknown as { span?: unknown }).span;
  return {
    hasSpan: span !== undefined,
    same: span !== undefined && span === getRequestSpan(req),
    ownKeys: Reflect.ownKeys(req)
      .filter((k) => !before.has(k))
      .map(String),
  };
}

async function getJson(url: string): Promise<Seen> {
  const res = await fetch(url);
  return (await res.json()) as Seen;
}

t.test('Express 5: req.span without an own property on req, sub-apps too', async (t) => {
  // the own keys Express itself puts on a request, recorded by an app without the plugin
  let expressKeys = new Set<string | symbol>();
  const probe = express();
  probe.get('/p/:id', (req, res) => {
    expressKeys = new Set(Reflect.ownKeys(req));
    res.end();
  });
  const probeServer = createServer(probe);
  const probeBase = await listen(probeServer);
  await (await fetch(`${probeBase}/p/1`)).arrayBuffer();
  await close(probeServer);

  const app = express();
  app.use(crosstrace({ tracer: tt.tracer }));
  app.get('/c/:id', (req, res) => {
    res.json(look(req, expressKeys));
  });
  const sub = express();
  sub.get('/s/:id', (req, res) => {
    res.json(look(req, expressKeys));
  });
  app.use('/sub', sub);
  app.get('/assign/:id', (req, res) => {
    const r = req as unknown as { span: unknown };
    r.span = 'mine';
    res.json({ value: r.span, own: Object.hasOwn(req, 'span') });
  });
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));

  const seen = await getJson(`${base}/c/1`);
  t.ok(seen.hasSpan, 'req.span is set');
  t.ok(seen.same, 'req.span is the server span');
  t.same(
    seen.ownKeys,
    ['Symbol(crosstrace.request-state)'],
    'one own property beyond what Express adds (the private state); req.span comes from the prototype',
  );
  const inSub = await getJson(`${base}/sub/s/2`);
  t.ok(inSub.hasSpan, 'req.span inside a mounted sub-app');
  t.ok(inSub.same, 'and it is the server span');
  const assigned = (await (await fetch(`${base}/assign/3`)).json()) as { value: unknown; own: boolean };
  t.equal(assigned.value, 'mine', 'an app can still assign req.span');
  t.ok(assigned.own, 'as an own property');
  // an untraced request on the same prototype reads undefined
  const untraced = express();
  untraced.get('/u', (req, res) => {
    res.json({ span: (req as unknown as { span?: unknown }).span ?? null });
  });
  const untracedServer = createServer(untraced);
  const untracedBase = await listen(untracedServer);
  t.teardown(() => close(untracedServer));
  t.same(await (await fetch(`${untracedBase}/u`)).json(), { span: null }, 'no span on untraced requests');
});

t.test('Express 4: req.span is the server span', async (t) => {
  const app = express4();
  app.use(crosstrace({ tracer: tt.tracer }));
  app.get('/c/:id', (req, res) => {
    res.json(look(req, new Set(Reflect.ownKeys(req))));
  });
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));
  const seen = await getJson(`${base}/c/1`);
  t.ok(seen.hasSpan);
  t.ok(seen.same);
});

t.test('Connect: req.span is an own property (prototype untouched)', async (t) => {
  const app = connect();
  app.use(crosstrace({ tracer: tt.tracer }));
  app.use('/c', (req: IncomingMessage, res) => {
    const span = (req as unknown as { span?: unknown }).span;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        same: span !== undefined && span === getRequestSpan(req),
        own: Object.hasOwn(req, 'span'),
      }),
    );
  });
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));
  t.same(await (await fetch(`${base}/c`)).json(), { same: true, own: true });
  t.notOk(Object.hasOwn(IncomingMessage.prototype, 'span'), 'IncomingMessage.prototype is not patched');
});

t.test('storeRequestState never throws and keeps the state reachable', async (t) => {
  const span = tt.tracer.provider.getTracer('t').startSpan('s');
  const frozen = Object.freeze(Object.create(IncomingMessage.prototype)) as IncomingMessage;
  t.doesNotThrow(() => storeRequestState(frozen, { span }));
  t.equal(requestState(frozen), undefined, 'a frozen request keeps no state');
  const nullProto = Object.create(null) as IncomingMessage;
  t.doesNotThrow(() => storeRequestState(nullProto, { span }));
  t.equal(
    (nullProto as unknown as { span: unknown }).span,
    span,
    'a null-prototype object gets an own property',
  );
  // someone else's `span` on an Express-like prototype is left alone
  const base = Object.create(IncomingMessage.prototype, {
    span: { value: 'theirs', writable: true, configurable: true },
  }) as object;
  const req = Object.create(Object.create(base)) as IncomingMessage;
  storeRequestState(req, { span });
  t.equal(requestState(req)?.span, span, 'the state is stored');
  t.equal(Object.getOwnPropertyDescriptor(base, 'span')?.value, 'theirs', 'their prototype property is kept');
  t.equal((req as unknown as { span: unknown }).span, span, 'the request gets an own property instead');
  span.end();
});
