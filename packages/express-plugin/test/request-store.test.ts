import { createServer, IncomingMessage } from 'node:http';
import { connect as netConnect, Socket } from 'node:net';
import type { Span } from '@opentelemetry/api';
import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import t from 'tap';
import { crosstrace, getRequestSpan } from '../src/index.js';
import { type RequestState, requestState, storeRequestState } from '../src/request-store.js';
import { close, createTestTracer, listen, serverSpans, waitForSpans } from './helpers/tracing.js';

process.env.NODE_ENV = 'test';
const tt = createTestTracer();
t.teardown(() => tt.shutdown());

/** A bare RequestState for the store's own tests. */
function stateOf(req: IncomingMessage, span: Span): RequestState & { ended: boolean; closed: number } {
  return {
    span,
    req,
    ended: false,
    closed: 0,
    nextOnSocket: undefined,
    socketClosed() {
      this.closed++;
    },
    responseFinished() {},
  };
}

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
    [],
    'no own property beyond what Express adds: the state hangs off the socket, req.span comes from the prototype',
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
  t.doesNotThrow(() => storeRequestState(frozen, stateOf(frozen, span)));
  t.equal(requestState(frozen), undefined, 'a frozen request keeps no state');
  const nullProto = Object.create(null) as IncomingMessage;
  t.doesNotThrow(() => storeRequestState(nullProto, stateOf(nullProto, span)));
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
  storeRequestState(req, stateOf(req, span));
  t.equal(requestState(req)?.span, span, 'the state is stored');
  t.equal(Object.getOwnPropertyDescriptor(base, 'span')?.value, 'theirs', 'their prototype property is kept');
  t.equal((req as unknown as { span: unknown }).span, span, 'the request gets an own property instead');
  // a socket that is no net.Socket (a hand-made or exotic one): the state is the request's own
  const exotic = Object.create(IncomingMessage.prototype) as IncomingMessage;
  Object.defineProperty(exotic, 'socket', { value: { remoteAddress: '10.0.0.9' } });
  const exoticState = stateOf(exotic, span);
  t.equal(storeRequestState(exotic, exoticState), false, 'not on the socket');
  t.equal(requestState(exotic), exoticState, 'found on the request itself');
  const onNetSocket = Object.create(IncomingMessage.prototype) as IncomingMessage;
  Object.defineProperty(onNetSocket, 'socket', { value: new Socket() });
  t.equal(requestState(onNetSocket), undefined, 'a request on a net.Socket with no state has none');
  span.end();
});

t.test(
  'states on a socket: found per request, ended ones pruned, socket close reaches the live ones',
  async (t) => {
    const span = tt.tracer.provider.getTracer('t').startSpan('s');
    const socket = new Socket();
    const reqs = [0, 1, 2, 3].map(() => {
      const r = Object.create(IncomingMessage.prototype) as IncomingMessage;
      Object.defineProperty(r, 'socket', { value: socket });
      return r;
    });
    const states = reqs.map((r) => stateOf(r, span));
    t.equal(storeRequestState(reqs[0], states[0]), true, 'stored on the socket');
    storeRequestState(reqs[1], states[1]);
    t.equal(requestState(reqs[0]), states[0], 'an older (pipelined) request is still found');
    t.equal(requestState(reqs[1]), states[1]);
    t.same(
      Reflect.ownKeys(reqs[0]).filter((k) => typeof k === 'symbol'),
      [],
      'no private state on the request itself',
    );
    states[0].ended = true;
    states[1].ended = true;
    storeRequestState(reqs[2], states[2]);
    t.equal(requestState(reqs[0]), undefined, 'ended states are pruned when the next request comes');
    t.equal(requestState(reqs[1]), undefined);
    t.equal(requestState(reqs[2]), states[2]);
    storeRequestState(reqs[3], states[3]);
    t.equal(requestState(reqs[2]), states[2], 'a live older state is kept');
    t.equal(socket.listenerCount('close'), 1, 'one close listener per socket, however many requests');
    socket.destroy();
    await new Promise((r) => socket.once('close', r));
    t.same(
      states.map((s) => s.closed),
      [0, 0, 1, 1],
      'socket close reaches every live state once, not the pruned ones',
    );
    t.equal(requestState(reqs[3]), states[3], 'still answered after the socket closed');
    span.end();
  },
);

t.test('pipelined requests on one connection each get their own span, ended once', async (t) => {
  tt.exporter.reset();
  const app = express();
  app.use(crosstrace({ tracer: tt.tracer }));
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.json({ slow: true }), 30);
  });
  app.get('/fast', (req, res) => {
    res.json({ same: (req as unknown as { span?: unknown }).span === getRequestSpan(req) });
  });
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));
  const { port } = new URL(base);
  const body = await new Promise<string>((resolve, reject) => {
    const s = netConnect(Number(port), '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      data += d;
    });
    s.on('end', () => resolve(data));
    s.on('error', reject);
    s.write(
      'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
  });
  t.equal(body.split('HTTP/1.1 200').length - 1, 3, 'three responses');
  t.equal(body.split('"same":true').length - 1, 2, 'each pipelined handler sees its own span as req.span');
  const spans = serverSpans(await waitForSpans(tt.exporter, (all) => serverSpans(all).length >= 3));
  t.same(spans.map((s) => s.name).sort(), ['GET /fast', 'GET /fast', 'GET /slow']);
  t.equal(new Set(spans.map((s) => s.spanContext().spanId)).size, 3, 'three distinct spans');
  t.ok(
    spans.every((s) => s.attributes['crosstrace.http.aborted'] === undefined),
    'none taken for aborted',
  );
  await new Promise((r) => setTimeout(r, 50));
  t.equal(serverSpans(tt.exporter.getFinishedSpans()).length, 3, 'each ended exactly once');
});
