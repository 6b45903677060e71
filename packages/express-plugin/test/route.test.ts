import t from 'tap';
import { routeTemplate } from '../src/route.js';

t.test('route templates from req.route and req.baseUrl', async (t) => {
  t.equal(routeTemplate({}), undefined);
  t.equal(routeTemplate({ route: { path: '/customer/:id' } }), '/customer/:id');
  t.equal(routeTemplate({ route: { path: '/:id' }, baseUrl: '/api' }), '/api/:id');
  t.equal(routeTemplate({ route: { path: '/' }, baseUrl: '/api' }), '/api');
  t.equal(routeTemplate({ route: { path: '/x' }, baseUrl: '/' }), '/x');
  t.equal(routeTemplate({ route: { path: /^\/re$/ } }), '/^\\/re$/');
  t.equal(routeTemplate({ route: { path: ['/a', '/b'] } }), '/a,/b');
  t.equal(routeTemplate({ route: { path: 42 } }), undefined);
  t.equal(routeTemplate({ route: null }), undefined);
});

t.test('unknown router shapes fall back to the literal baseUrl', async (t) => {
  const throwing = {
    get router() {
      throw new Error('deprecated');
    },
  };
  t.equal(routeTemplate({ route: { path: '/:id' }, baseUrl: '/u/7', app: throwing }), '/u/7/:id');
  t.equal(
    routeTemplate({ route: { path: '/:id' }, baseUrl: '/u/7', app: { router: { stack: 'x' } } }),
    '/u/7/:id',
  );
  const loop: { route?: unknown; handle: { stack: unknown[] }; match: () => object } = {
    handle: { stack: [] },
    match: () => ({ path: '', pattern: '/' }),
  };
  loop.handle.stack.push(loop);
  t.equal(
    routeTemplate({ route: { path: '/x' }, baseUrl: '/deep', app: { router: { stack: [loop] } } }),
    '/deep/x',
  );
});
