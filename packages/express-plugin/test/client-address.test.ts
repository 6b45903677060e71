import t from 'tap';
import { clientAddress, compileTrustedProxies, unmapAddress } from '../src/client-address.js';

t.test('X-Forwarded-For only from trusted proxies', async (t) => {
  const trust = compileTrustedProxies(['10.0.0.0/8', 'loopback']);
  t.equal(
    clientAddress('203.0.113.9', '198.51.100.1', trust),
    '203.0.113.9',
    'untrusted peer: header ignored',
  );
  t.equal(clientAddress('10.1.2.3', '198.51.100.1', trust), '198.51.100.1');
  t.equal(
    clientAddress('10.1.2.3', '6.6.6.6, 198.51.100.1, 10.9.9.9', trust),
    '198.51.100.1',
    'right-most untrusted',
  );
  t.equal(clientAddress('::ffff:127.0.0.1', ['198.51.100.1', '10.0.0.2'], trust), '198.51.100.1');
  t.equal(clientAddress('10.1.2.3', 'garbage, 10.0.0.5', trust), '10.0.0.5', 'stops at a non-address');
  t.equal(clientAddress('10.1.2.3', undefined, trust), '10.1.2.3');
  t.equal(clientAddress('10.1.2.3', '198.51.100.1', undefined), '10.1.2.3', 'nobody trusted by default');
  t.equal(clientAddress(undefined, '198.51.100.1', trust), undefined);
  t.equal(
    clientAddress('10.0.0.1', '1.2.3.4', () => {
      throw new Error('bad predicate');
    }),
    '10.0.0.1',
    'a throwing predicate trusts nothing',
  );
  t.equal(unmapAddress('::ffff:192.0.2.1'), '192.0.2.1');
  t.equal(unmapAddress('::1'), '::1');
  const v6 = compileTrustedProxies(['fd00::/8']);
  t.equal(clientAddress('fd00::5', '2001:db8::7', v6), '2001:db8::7');
});
