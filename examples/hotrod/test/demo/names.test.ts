import t from 'tap';
import {
  eventName,
  fnv32a,
  generatedSuffix,
  podTemplateHash,
  SAFE_ALPHABET,
} from '../../src/demo/cluster/names.js';

t.test('generated names read like Kubernetes ones', async (t) => {
  t.equal(fnv32a(''), 0x811c9dc5, 'FNV-1a offset basis');
  t.equal(fnv32a('a'), 0xe40c292c);
  const hash = podTemplateHash({ spec: { containers: [{ name: 'frontend', image: 'x:1' }] } });
  t.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  t.match(hash, /^[4-9bcdf]+$/, 'digits map to the characters client-go maps them to');
  t.equal(hash, podTemplateHash({ spec: { containers: [{ name: 'frontend', image: 'x:1' }] } }), 'stable');
  t.not(hash, podTemplateHash({ spec: { containers: [{ name: 'frontend', image: 'x:2' }] } }));
  const suffix = generatedSuffix();
  t.equal(suffix.length, 5);
  for (const c of suffix) t.ok(SAFE_ALPHABET.includes(c));
  t.equal(eventName('frontend-abc', 255n), 'frontend-abc.ff');
});
