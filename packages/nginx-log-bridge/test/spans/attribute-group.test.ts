import t, { type Test } from 'tap';
import { ATTEMPT_GROUP, type AttemptGroupKey } from '../../src/spans/attempt-group.js';
import {
  type AttributeGroup,
  AttributeGroupCache,
  type AttributeGroupKind,
} from '../../src/spans/attribute-group.js';
import { SERVER_GROUP, type ServerGroupKey } from '../../src/spans/server-group.js';

/** A key of the tests' own kind: a head and one more value. */
interface TestKey {
  head: unknown;
  value: unknown;
}

let made = 0;
const TEST_KIND: AttributeGroupKind<TestKey> = {
  head: (k) => k.head,
  same: (a, b) => a.head === b.head && a.value === b.value,
  entries: (k) => {
    made++;
    return ['test.value', String(k.value)];
  },
};

t.test('groups are found by every value of their key, strings by content', async (t) => {
  const cache = new AttributeGroupCache(TEST_KIND);
  made = 0;
  const g = cache.groupOf({ head: 'default-web-8080', value: 'GET' });
  t.equal(made, 1, 'made from the key on the first lookup');
  t.same(g.entries, ['test.value', 'GET']);
  t.equal(g.encoded, undefined, 'encoded only when the direct encoder first writes it');
  t.equal(cache.groupOf({ head: 'default-web-8080', value: 'GET' }), g, 'found again');
  // a string with the same text built another way is the same key
  t.equal(cache.groupOf({ head: ['default', 'web', '8080'].join('-'), value: `${'G'}ET` }), g);
  t.equal(made, 1);
  t.not(cache.groupOf({ head: 'default-web-8080', value: 'POST' }), g, 'another value');
  t.not(cache.groupOf({ head: 'other-web-8080', value: 'GET' }), g, 'another head');
  const none = cache.groupOf({ head: undefined, value: 'GET' });
  t.not(none, g);
  t.equal(cache.groupOf({ head: undefined, value: 'GET' }), none, 'undefined is a head like any other');
});

t.test('bounded per head and in heads', async (t) => {
  const cache = new AttributeGroupCache(TEST_KIND, 4, 3);
  const groups: AttributeGroup[] = [];
  for (let i = 0; i < 6; i++) groups.push(cache.groupOf({ head: 'u', value: i }));
  made = 0;
  t.equal(cache.groupOf({ head: 'u', value: 5 }), groups[5], 'the newest is kept');
  t.equal(made, 0);
  const kept = [0, 1, 2, 3, 4].filter((i) => cache.groupOf({ head: 'u', value: i }) === groups[i]);
  t.ok(kept.length < 5, 'at most 4 groups per head: some older ones were made again');
  for (const head of ['a', 'b', 'c']) cache.groupOf({ head, value: 0 });
  made = 0;
  cache.groupOf({ head: 'u', value: 5 });
  t.equal(made, 1, 'heads past the bound start over');
});

t.test('a group found often moves ahead of the others of its head', async (t) => {
  const cache = new AttributeGroupCache(TEST_KIND, 2);
  const one = cache.groupOf({ head: 'u', value: 1 });
  const two = cache.groupOf({ head: 'u', value: 2 });
  t.equal(cache.groupOf({ head: 'u', value: 2 }), two, 'found (and moved to the front)');
  cache.groupOf({ head: 'u', value: 3 }); // replaces the last of the list: now `one`
  t.equal(cache.groupOf({ head: 'u', value: 2 }), two, 'the group in use stays');
  t.not(cache.groupOf({ head: 'u', value: 1 }), one, 'the one not used was dropped');
});

/** A value of the same type as `v`, different from it. */
function another(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
      return `${v}-other`;
    case 'number':
      return v + 1;
    case 'boolean':
      return !v;
    default:
      return Array.isArray(v) ? [...v] : 'set';
  }
}

/** Every field of `key` makes a difference to `kind.same`: a field the comparison left out would let keys that differ in it share a group. */
function everyFieldCompared<K extends object>(t: Test, kind: AttributeGroupKind<K>, key: K): void {
  const fields = Object.keys(key) as (keyof K)[];
  t.ok(kind.same(key, { ...key }), 'a key is the same as its copy');
  for (const field of fields) {
    const changed = { ...key, [field]: another(key[field]) };
    t.notOk(kind.same(key, changed), `${String(field)} is compared`);
    t.notOk(kind.same(changed, key), `${String(field)} is compared both ways`);
  }
}

t.test('the SERVER group key: every field is compared, the attributes come from the key', async (t) => {
  const key: ServerGroupKey = {
    upstreamName: 'team-a-web-8080',
    method: 'PROPFIND',
    knownMethod: false,
    precision: 'ms',
    scheme: 'https',
    protocol: 'HTTP/2.0',
    status: 503,
    host: 'shop.example.com',
    alternative: 'team-a-web-canary-8080',
    sslProtocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    verify: 'SUCCESS',
    traceFlags: 0,
    namespaces: ['team-a'],
  };
  t.equal(Object.keys(key).length, 14, 'every value the SERVER attributes are made from');
  everyFieldCompared(t, SERVER_GROUP, key);
  t.same(SERVER_GROUP.entries(key), [
    'crosstrace.layer',
    'ingress',
    'crosstrace.ingress.time_precision',
    'ms',
    'http.request.method',
    '_OTHER',
    'http.request.method_original',
    'PROPFIND',
    'url.scheme',
    'https',
    'network.protocol.name',
    'http',
    'network.protocol.version',
    '2.0',
    'http.response.status_code',
    503,
    'server.address',
    'shop.example.com',
    'crosstrace.ingress.upstream',
    'team-a-web-8080',
    'k8s.namespace.name',
    'team-a',
    'k8s.service.name',
    'web',
    'crosstrace.k8s.service.port',
    '8080',
    'crosstrace.ingress.alternative_upstream',
    'team-a-web-canary-8080',
    'tls.established',
    true,
    'tls.protocol.name',
    'tls',
    'tls.protocol.version',
    '1.3',
    'tls.cipher',
    'TLS_AES_128_GCM_SHA256',
    'crosstrace.tls.client_verify',
    'SUCCESS',
    'crosstrace.tls.client_authenticated',
    true,
    'crosstrace.ingress.unsampled',
    true,
    'error.type',
    '503',
  ]);
});

t.test('the CLIENT group key: every field is compared, the attributes come from the key', async (t) => {
  const key: AttemptGroupKey = {
    address: '[fd00::5]:8080',
    index: 1,
    method: 'GET',
    knownMethod: true,
    upstreamName: 'default-web-8080',
    group: 1,
    status: 502,
  };
  everyFieldCompared(t, ATTEMPT_GROUP, key);
  t.same(ATTEMPT_GROUP.entries(key), [
    'crosstrace.layer',
    'ingress',
    'crosstrace.ingress.timing',
    'estimated',
    'http.request.resend_count',
    1,
    'http.request.method',
    'GET',
    'server.address',
    'fd00::5',
    'server.port',
    8080,
    'crosstrace.ingress.upstream',
    'default-web-8080',
    'crosstrace.ingress.upstream_group',
    1,
    'http.response.status_code',
    502,
    'error.type',
    '502',
  ]);
});
