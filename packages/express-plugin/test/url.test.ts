import t from 'tap';
import { redactFullUrl, redactQuery, splitTarget } from '../src/url.js';

t.test('splitTarget', async (t) => {
  t.same(splitTarget('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' });
  t.same(splitTarget('/a'), { path: '/a', query: undefined });
  t.same(splitTarget(undefined), { path: '/', query: undefined });
  t.same(splitTarget('/?'), { path: '/', query: '' });
});

t.test('redactQuery keeps everything but the named values', async (t) => {
  const names = new Set(['token', 'sig']);
  t.equal(redactQuery('a=1&token=abc&sig=zz&b', names), 'a=1&token=REDACTED&sig=REDACTED&b');
  t.equal(redactQuery('to%6Ben=abc', names), 'to%6Ben=REDACTED', 'percent-encoded names');
  t.equal(redactQuery('a=%E0%A4%A', names), 'a=%E0%A4%A', 'malformed encoding left alone');
  t.equal(redactQuery('%E0%A4%A=1', names), '%E0%A4%A=1');
  t.equal(redactQuery('token=1', new Set()), 'token=1');
});

t.test('redactFullUrl hides credentials and named parameters', async (t) => {
  const names = new Set(['api_key']);
  t.equal(
    redactFullUrl(new URL('http://u:p@host:8080/x?api_key=1&q=2'), names),
    'http://REDACTED:REDACTED@host:8080/x?api_key=REDACTED&q=2',
  );
  t.equal(redactFullUrl(new URL('https://host/x'), names), 'https://host/x');
});
