import t from 'tap';
import { AttributeGroupCache } from '../../src/spans/attribute-group.js';

function lookup(cache: AttributeGroupCache, ...key: unknown[]) {
  key.forEach((v, i) => {
    cache.key[i] = v;
  });
  return cache.find();
}

t.test('groups are found by every value of their key, strings by content', async (t) => {
  const cache = new AttributeGroupCache(3);
  t.equal(lookup(cache, 'default-web-8080', 'GET', 200), undefined, 'empty cache');
  const g = cache.add(['http.request.method', 'GET']);
  t.equal(lookup(cache, 'default-web-8080', 'GET', 200), g);
  // a string with the same text built another way is the same key
  t.equal(lookup(cache, ['default', 'web', '8080'].join('-'), `${'G'}ET`, 200), g);
  t.equal(lookup(cache, 'default-web-8080', 'GET', 404), undefined, 'another value');
  t.equal(lookup(cache, 'default-web-8080', 'POST', 200), undefined);
  t.equal(lookup(cache, 'other-web-8080', 'GET', 200), undefined, 'another first item');
  t.equal(lookup(cache, undefined, 'GET', 200), undefined);
  const none = cache.add(['http.request.method', 'GET']);
  t.equal(lookup(cache, undefined, 'GET', 200), none, 'undefined is a key value like any other');
  t.same(g.entries, ['http.request.method', 'GET']);
  t.equal(g.encoded, undefined, 'encoded only when the direct encoder first writes it');
});

t.test('bounded per first item and in first items', async (t) => {
  const cache = new AttributeGroupCache(2, 4, 3);
  const made = [];
  for (let i = 0; i < 6; i++) {
    lookup(cache, 'u', i);
    made.push(cache.add([`k${i}`, i]));
  }
  const found = made.map((_, i) => lookup(cache, 'u', i) !== undefined);
  t.equal(found.filter(Boolean).length, 4, 'at most 4 groups per first item');
  t.ok(found[5], 'the newest is kept');
  for (const head of ['a', 'b', 'c']) {
    lookup(cache, head, 0);
    cache.add([head, 0]);
  }
  t.equal(lookup(cache, 'u', 5), undefined, 'first items past the bound start over');
  t.ok(lookup(cache, 'c', 0));
});

t.test('a group found often moves ahead of the others of its first item', async (t) => {
  const cache = new AttributeGroupCache(2, 2);
  lookup(cache, 'u', 1);
  const one = cache.add(['k', 1]);
  lookup(cache, 'u', 2);
  const two = cache.add(['k', 2]);
  t.equal(lookup(cache, 'u', 2), two, 'found (and moved to the front)');
  lookup(cache, 'u', 3);
  cache.add(['k', 3]); // replaces the last of the list: now `one`
  t.equal(lookup(cache, 'u', 2), two, 'the group in use stays');
  t.equal(lookup(cache, 'u', 1), undefined, 'the one not used was dropped');
  t.not(one, two);
});
