import t from 'tap';
import {
  isTraceStateKey,
  isTraceStateValue,
  parseTraceState,
  resetDiagnostics,
  setDiagnosticHandler,
  TRACESTATE_MAX_MEMBERS,
  TraceState,
} from '../src/index.js';

// Each rule of W3C Trace Context, "Tracestate Header" (levels 1 and 2), from the text:
//   list        = list-member 0*31( OWS "," OWS list-member )
//   list-member = (key "=" value) / OWS
//   key         = ( lcalpha / DIGIT ) 0*255 ( keychar )
//   keychar     = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
//   value       = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E

const LCALPHA = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALL_VALUE_CHARS = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');

const entries = (header: string | string[]) => parseTraceState(header)?.entries();

t.test('key: starts with a lowercase letter or a digit; then keychars; 1 to 256 characters', async (t) => {
  for (const key of [
    'a',
    '0',
    'foo',
    '1special',
    `${LCALPHA}${DIGITS}_-*/@`,
    'z'.repeat(256),
    '9'.repeat(256),
  ]) {
    t.ok(isTraceStateKey(key), `valid: ${key.length > 40 ? `${key.length} chars` : key}`);
  }
  for (const key of ['', '_foo', '-foo', '*foo', '/foo', 'FOO', 'Foo', 'fOo', 'foo.bar', 'foo bar', 'fóo']) {
    t.notOk(isTraceStateKey(key), `invalid: ${JSON.stringify(key)}`);
  }
  t.notOk(isTraceStateKey('z'.repeat(257)), '257 characters');
  t.notOk(isTraceStateKey(42), 'not a string');
});

t.test('key: the vendor form with "@" (Level 2 grammar, which contains Level 1 tenant@system)', async (t) => {
  const valid = [
    'special@vendor', // Level 1 multi-tenant key
    'foo@', // "@" is a keychar anywhere after the first character
    'foo@@bar',
    'foo@bar@baz',
    `${'t'.repeat(241)}@${'v'.repeat(14)}`, // Level 1's longest tenant and system: 256 in all
    `${'t'.repeat(242)}@v`, // a longer tenant: within 256, valid
    `t@${'v'.repeat(15)}`, // a longer system: valid
    `${'t'.repeat(254)}@v`, // 256 in all
  ];
  for (const key of valid)
    t.ok(isTraceStateKey(key), `valid: ${key.length > 40 ? `${key.length} chars` : key}`);
  for (const key of ['@foo', '@', `${'t'.repeat(255)}@v`, 'foo@BAR', 'foo@bar.baz']) {
    t.notOk(isTraceStateKey(key), `invalid: ${key.length > 40 ? `${key.length} chars` : key}`);
  }
});

t.test('value: printable ASCII except "," and "=", 1 to 256 characters, not ending in a space', async (t) => {
  for (const value of ['1', 't61rcWkgMzE', ALL_VALUE_CHARS, ' leading', '  x', 'a b', 'x'.repeat(256)]) {
    t.ok(isTraceStateValue(value), `valid: ${JSON.stringify(value.slice(0, 40))}`);
  }
  for (const value of ['', ' ', 'a ', 'a=b', 'a,b', 'a\tb', '\t', 'é', 'a\u007f', 'a\nb', 'x'.repeat(257)]) {
    t.notOk(isTraceStateValue(value), `invalid: ${JSON.stringify(value.slice(0, 40))}`);
  }
});

t.test('header: members split on ",", spaces and tabs around members ignored', async (t) => {
  t.same(entries('foo=1,bar=2'), [
    ['foo', '1'],
    ['bar', '2'],
  ]);
  t.same(entries('foo=1 \t , \t bar=2, \t baz=3'), [
    ['foo', '1'],
    ['bar', '2'],
    ['baz', '3'],
  ]);
  t.same(entries('\t foo=1 \t'), [['foo', '1']], 'leading and trailing OWS');
  t.same(entries('foo=1 '), [['foo', '1']], 'trailing spaces are optional whitespace, not value');
  t.same(entries('foo= 1'), [['foo', ' 1']], 'leading spaces of a value are preserved');
  t.same(entries(`k=${ALL_VALUE_CHARS}`), [['k', ALL_VALUE_CHARS]], 'every allowed value character');
  t.equal(parseTraceState('foo =1'), undefined, 'no whitespace before "="');
  t.equal(parseTraceState('foo\t=1'), undefined);
});

t.test(
  'header: empty and whitespace-only members are allowed; an empty header carries nothing',
  async (t) => {
    t.same(entries('foo=1,,bar=2'), [
      ['foo', '1'],
      ['bar', '2'],
    ]);
    t.same(entries(',foo=1,'), [['foo', '1']]);
    t.same(entries('foo=1, ,\t,bar=2'), [
      ['foo', '1'],
      ['bar', '2'],
    ]);
    t.same(entries(['', 'foo=1']), [['foo', '1']], 'an empty field before a member');
    t.same(entries(['foo=1', '']), [['foo', '1']], 'an empty field after');
    for (const empty of ['', ' ', '\t', ',', ' , ', ['', '']]) {
      t.equal(parseTraceState(empty), undefined, `nothing to propagate: ${JSON.stringify(empty)}`);
    }
    t.equal(parseTraceState(undefined), undefined);
  },
);

t.test('header: repeated fields are combined in order (RFC 9110 field order)', async (t) => {
  t.equal(
    parseTraceState(['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'])?.serialize(),
    'foo=1,bar=2,rojo=1,congo=2,baz=3',
  );
  t.equal(parseTraceState('foo=1, bar=2')?.serialize(), 'foo=1,bar=2', "node's ', ' join of repeated fields");
});

t.test('header: at most 32 members; a 33rd discards the whole header', async (t) => {
  const members = (n: number) =>
    Array.from({ length: n }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${i}`);
  const ok = parseTraceState(members(32).join(','));
  t.equal(ok?.size, 32);
  t.equal(ok?.get('bar01'), '0');
  t.equal(parseTraceState(members(33).join(',')), undefined);
  const fields = [members(33).slice(0, 10).join(','), members(33).slice(10).join(',')];
  t.equal(parseTraceState(fields), undefined, 'the limit is on the combined header');
  t.equal(parseTraceState(`${members(32).join(',')},,, ,`)?.size, 32, 'empty members do not count');
  t.equal(TRACESTATE_MAX_MEMBERS, 32);
});

t.test('header: one invalid member discards the whole header', async (t) => {
  for (const bad of [
    'foo=bar=baz', // "=" in a value
    'foo=,bar=3', // empty value
    'foo,bar=3', // no "="
    '=1,bar=2', // empty key
    'FOO=1,bar=2', // uppercase key
    'foo.bar=1,baz=2',
    '@foo=1,bar=2', // key starting with "@"
    `${'z'.repeat(257)}=1,foo=1`, // key over 256
    `foo=${'x'.repeat(257)},bar=1`, // value over 256
    'foo=a\tb,bar=1', // tab inside a value
    'foo=\u00e9,bar=1', // not ASCII
  ]) {
    t.equal(parseTraceState(bad), undefined, JSON.stringify(bad.slice(0, 40)));
  }
  t.equal(parseTraceState(['foo=1', `${'z'.repeat(257)}=1`]), undefined, 'also across repeated fields');
});

t.test('header: the longest keys and values are kept', async (t) => {
  const key = 'z'.repeat(256);
  t.same(entries(['foo=1', `${key}=1`]), [
    ['foo', '1'],
    [key, '1'],
  ]);
  const value = 'v'.repeat(256);
  t.equal(parseTraceState(`foo=${value}`)?.get('foo'), value);
  const largest = Array.from(
    { length: 32 },
    (_, i) => `${String(i).padStart(2, '0')}${'k'.repeat(254)}=${value}`,
  );
  t.equal(
    parseTraceState(largest.join(','))?.serialize().length,
    32 * 513 + 31,
    '32 members of 513 characters',
  );
});

t.test('header: of a duplicated key the left-most member is kept', async (t) => {
  t.equal(parseTraceState('foo=1,foo=2')?.serialize(), 'foo=1');
  t.equal(parseTraceState(['foo=1', 'foo=1'])?.serialize(), 'foo=1');
  t.equal(parseTraceState('a=1,foo=2,b=3,foo=4')?.serialize(), 'a=1,foo=2,b=3');
});

t.test('serialize: a canonical header is sent as it came, anything else without OWS', async (t) => {
  const canonical = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
  t.equal(parseTraceState(canonical)?.serialize(), canonical);
  t.equal(parseTraceState(' rojo=1 ,\tcongo=2,')?.serialize(), 'rojo=1,congo=2');
});

t.test('mutations: set adds or moves a key to the left, unset removes; immutable', async (t) => {
  const state = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE') as TraceState;
  const added = state.set('crosstrace', 'a1');
  t.equal(added.serialize(), 'crosstrace=a1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  const moved = added.set('congo', 'ucfJifl5GOE');
  t.equal(moved.serialize(), 'congo=ucfJifl5GOE,crosstrace=a1,rojo=00f067aa0ba902b7');
  t.equal(moved.unset('crosstrace').serialize(), 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7');
  t.equal(moved.unset('absent'), moved);
  t.equal(state.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'the original is unchanged');
  t.equal(state.get('congo'), 't61rcWkgMzE');
  t.equal(state.get('nope'), undefined);
  t.equal(new TraceState().set('a', '1').serialize(), 'a=1');
});

t.test('mutations: a 33rd member pushes out the right-most one', async (t) => {
  let state = new TraceState();
  for (let i = 1; i <= 32; i++) state = state.set(`k${i}`, String(i));
  t.equal(state.size, 32);
  const more = state.set('new', 'x');
  t.equal(more.size, 32);
  t.equal(more.entries()[0][0], 'new');
  t.equal(more.get('k1'), undefined, 'the right-most (oldest) member went');
  t.equal(more.get('k2'), '2');
  t.equal(state.set('k1', 'again').size, 32, 'updating a present key removes nothing');
});

t.test('mutations: a key or value outside the grammar is ignored with one diagnostic', async (t) => {
  resetDiagnostics();
  const codes: string[] = [];
  const prev = setDiagnosticHandler((e) => codes.push(e.code));
  t.teardown(() => setDiagnosticHandler(prev));
  const state = new TraceState().set('ok', '1');
  t.equal(state.set('Bad', '1'), state);
  t.equal(state.set('ok', 'a,b'), state);
  t.equal(state.set('ok', ''), state);
  t.same(codes, ['CT_TRACER_INVALID_ARGUMENT'], 'reported once, not per call');
});
