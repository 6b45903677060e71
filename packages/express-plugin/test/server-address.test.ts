import t from 'tap';
import { ServerAddressCache, splitHost } from '../src/server-address.js';

t.test('Host header forms', async (t) => {
  t.same(splitHost('example.com'), { address: 'example.com', port: undefined });
  t.same(splitHost('example.com:8080'), { address: 'example.com', port: 8080 });
  t.same(splitHost('127.0.0.1:80'), { address: '127.0.0.1', port: 80 });
  t.same(splitHost('[::1]:3000'), { address: '::1', port: 3000 });
  t.same(splitHost('[::1]'), { address: '::1', port: undefined });
  t.same(splitHost('[::1]:x'), { address: '::1', port: undefined }, 'a port that is no number is left out');
  t.same(splitHost('example.com:0'), { address: 'example.com', port: undefined }, 'port 0 is no port');
  t.same(splitHost('example.com:'), { address: 'example.com', port: undefined });
  t.same(splitHost('::1'), { address: '::1', port: undefined }, 'a bare IPv6 address is all address');
});

t.test('the cache answers the last host again and follows a new one', async (t) => {
  const cache = new ServerAddressCache();
  const first = cache.of('shop.example:8443');
  t.same(first, { address: 'shop.example', port: 8443 });
  // an equal header in a fresh string (as each request brings) is a hit
  const again = cache.of(['shop', 'example:8443'].join('.'));
  t.equal(again, first, 'the same result object');
  t.equal(again.address, first.address);
  t.same(cache.of('other.example'), { address: 'other.example', port: undefined });
  t.same(cache.of('shop.example:8443'), { address: 'shop.example', port: 8443 });
  t.same(cache.of(''), { address: '', port: undefined }, 'an empty Host header');
});
