import t from 'tap';
import { SpanNames } from '../src/span-names.js';

t.test('METHOD route, or METHOD alone without a route; one string per method and route', async (t) => {
  const names = new SpanNames();
  t.equal(names.of('GET', '/customer/:id'), 'GET /customer/:id');
  t.equal(names.of('POST', '/customer/:id'), 'POST /customer/:id');
  t.equal(names.of('GET', undefined), 'GET');
  t.equal(names.of('HTTP', '/x'), 'HTTP /x');
  t.equal(names.of('GET', ['/customer', ':id'].join('/')), 'GET /customer/:id', 'a route in a fresh string');
});

t.test('past the cap, names are still right (made per request)', async (t) => {
  const names = new SpanNames();
  for (let i = 0; i < 3000; i++) t.equal(names.of('GET', `/r${i}`), `GET /r${i}`);
  t.equal(names.of('GET', '/r5'), 'GET /r5', 'a kept one');
  t.equal(names.of('GET', '/r2999'), 'GET /r2999', 'one past the cap');
});
