import { createServer } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import express from 'express';
import express4 from 'express4';
import t from 'tap';
import { crosstrace } from '../src/index.js';
import { close, createTestTracer, listen, serverSpans, waitForSpans } from './helpers/tracing.js';

// finalhandler prints errors to stderr outside the test env
process.env.NODE_ENV = 'test';
const tt = createTestTracer();
t.teardown(() => tt.shutdown());

async function serve(app: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));
  return base;
}

async function spanOf(name: string): Promise<ReadableSpan> {
  const spans = await waitForSpans(tt.exporter, (all) => serverSpans(all).some((s) => s.name === name));
  const found = serverSpans(spans).filter((s) => s.name === name);
  return found[found.length - 1];
}

function exceptions(span: ReadableSpan): string[] {
  return span.events
    .filter((e) => e.name === 'exception')
    .map((e) => String(e.attributes?.['exception.message']));
}

function captureLayers(stack: { handle?: { name?: string } }[]): number {
  return stack.filter((l) => l.handle?.name === 'captureError').length;
}

t.test(
  'Express 5: an unhandled throw is recorded, also from a route added after the first request',
  async (t) => {
    tt.exporter.reset();
    const app = express();
    app.use(crosstrace({ tracer: tt.tracer }));
    app.get('/early', () => {
      throw new Error('early failure');
    });
    const base = await serve(app);
    t.equal((await fetch(`${base}/early`)).status, 500);
    const early = await spanOf('GET /early');
    t.same(exceptions(early), ['early failure'], 'recorded on the first request already');
    t.equal(early.status.code, SpanStatusCode.ERROR);

    app.get('/late', async () => {
      throw new Error('late rejection');
    });
    t.equal((await fetch(`${base}/late`)).status, 500);
    const late = await spanOf('GET /late');
    t.same(exceptions(late), ['late rejection'], 'the layer moved behind the route added later');
    const stack = (app as unknown as { router: { stack: { handle?: { name?: string } }[] } }).router.stack;
    t.equal(captureLayers(stack), 1, 'one capture layer, kept last');
    t.equal(stack[stack.length - 1].handle?.name, 'captureError');

    t.equal((await fetch(`${base}/missing`)).status, 404);
    const missing = await spanOf('GET');
    t.same(exceptions(missing), [], 'a 404 passes the capture layer without an exception');
    t.equal(missing.status.code, SpanStatusCode.UNSET);
  },
);

t.test('Express 4: errors recorded without crosstraceErrors()', async (t) => {
  tt.exporter.reset();
  const app = express4();
  app.use(crosstrace({ tracer: tt.tracer }));
  app.get('/sync', () => {
    throw new Error('sync failure');
  });
  app.get('/next', (_req, _res, next) => next(new Error('passed on')));
  const base = await serve(app);
  t.equal((await fetch(`${base}/sync`)).status, 500);
  t.same(exceptions(await spanOf('GET /sync')), ['sync failure']);
  t.equal((await fetch(`${base}/next`)).status, 500);
  const passed = await spanOf('GET /next');
  t.same(exceptions(passed), ['passed on']);
  t.equal(passed.status.message, 'passed on');
});

t.test(
  "an error the app's own error middleware answers: status only, unless captureRouterErrors",
  async (t) => {
    tt.exporter.reset();
    for (const captureRouterErrors of [false, true]) {
      const app = express();
      app.use(crosstrace({ tracer: tt.tracer, captureRouterErrors }));
      app.get(`/handled-${captureRouterErrors}`, () => {
        throw new Error('handled here');
      });
      app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(503).send('sorry');
      });
      const base = await serve(app);
      t.equal((await fetch(`${base}/handled-${captureRouterErrors}`)).status, 503);
      const span = await spanOf(`GET /handled-${captureRouterErrors}`);
      t.equal(
        span.status.code,
        SpanStatusCode.ERROR,
        `error status from the 503 (captureRouterErrors ${captureRouterErrors})`,
      );
      t.same(
        exceptions(span),
        captureRouterErrors ? ['handled here'] : [],
        captureRouterErrors ? 'the router channel records it at its origin' : 'not seen by the final layer',
      );
    }
  },
);

t.test('errorLayer: false leaves the router stack alone', async (t) => {
  const app = express();
  app.use(crosstrace({ tracer: tt.tracer, errorLayer: false }));
  app.get('/x', (_req, res) => {
    res.end('ok');
  });
  const base = await serve(app);
  await (await fetch(`${base}/x`)).arrayBuffer();
  const stack = (app as unknown as { router: { stack: { handle?: { name?: string } }[] } }).router.stack;
  t.equal(captureLayers(stack), 0);
});

t.test('one crosstrace() middleware serving two apps keeps the layer last in each', async (t) => {
  tt.exporter.reset();
  const shared = crosstrace({ tracer: tt.tracer });
  const bases: string[] = [];
  const apps = ['a', 'b'].map((name) => {
    const app = express();
    app.use(shared);
    app.get(`/${name}/boom`, () => {
      throw new Error(`${name} failed`);
    });
    return app;
  });
  for (const app of apps) bases.push(await serve(app));
  for (let round = 0; round < 3; round++) {
    for (const [i, name] of ['a', 'b'].entries()) {
      tt.exporter.reset();
      t.equal((await fetch(`${bases[i]}/${name}/boom`)).status, 500);
      t.same(exceptions(await spanOf(`GET /${name}/boom`)), [`${name} failed`], `${name}, round ${round}`);
    }
    // a route added between requests: the layer moves behind it in that app only
    apps[round % 2].get(`/${round % 2 === 0 ? 'a' : 'b'}/late${round}`, async () => {
      throw new Error(`late ${round}`);
    });
    const name = round % 2 === 0 ? 'a' : 'b';
    tt.exporter.reset();
    t.equal((await fetch(`${bases[round % 2]}/${name}/late${round}`)).status, 500);
    t.same(exceptions(await spanOf(`GET /${name}/late${round}`)), [`late ${round}`]);
  }
  for (const app of apps) {
    const stack = (app as unknown as { router: { stack: { handle?: { name?: string } }[] } }).router.stack;
    t.equal(captureLayers(stack), 1, 'one capture layer per app');
    t.equal(stack[stack.length - 1].handle?.name, 'captureError', 'and it is last');
  }
});

t.test('Express 4: an app whose router is made after the first request still gets the layer', async (t) => {
  tt.exporter.reset();
  const app = express4();
  const shared = crosstrace({ tracer: tt.tracer });
  // a bare listener that calls the middleware before the app has any route (no _router yet)
  const base = await serve((req, res) => {
    if (req.url === '/before') {
      (req as unknown as { app: unknown }).app = app;
      shared(req, res, () => {
        res.end('before');
      });
      return;
    }
    app(req, res);
  });
  await (await fetch(`${base}/before`)).arrayBuffer();
  t.equal((app as unknown as { _router?: unknown })._router, undefined, 'no router yet');
  app.use(shared);
  app.get('/after', () => {
    throw new Error('after the router was made');
  });
  t.equal((await fetch(`${base}/after`)).status, 500);
  t.same(exceptions(await spanOf('GET /after')), ['after the router was made']);
});
