import t from 'tap';
import { decimalNumber, parseSeconds } from '../../src/spans/time.js';

function randomDecimal(): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
  const whole = digits(1 + Math.floor(Math.random() * 11));
  switch (Math.floor(Math.random() * 5)) {
    case 0:
      return whole;
    case 1:
      return `${whole}.${digits(1 + Math.floor(Math.random() * 4))}`;
    case 2:
      return `${digits(10)}.${digits(3)}`; // $msec
    case 3:
      return `0.${digits(1 + Math.floor(Math.random() * 15))}`;
    default:
      return `${digits(1 + Math.floor(Math.random() * 16))}.${digits(1 + Math.floor(Math.random() * 8))}`;
  }
}

t.test('decimalNumber is Number for thousands of logged decimals', async (t) => {
  let differ = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = randomDecimal();
    if (!Object.is(decimalNumber(s), Number(s))) {
      differ++;
      if (differ < 5) t.fail(s, { got: decimalNumber(s), want: Number(s) });
    }
  }
  t.equal(differ, 0);
});

t.test('decimalNumber leaves everything else to Number', async (t) => {
  for (const s of [
    '',
    '-',
    '-1',
    '+2',
    '1e3',
    ' 12',
    '12 ',
    '12.',
    '.5',
    '1.2.3',
    '0x10',
    'abc',
    '9'.repeat(17),
    '007',
  ]) {
    t.ok(Object.is(decimalNumber(s), Number(s)), JSON.stringify(s));
  }
});

t.test('parseSeconds', async (t) => {
  t.equal(parseSeconds('0.004'), 0.004);
  t.equal(parseSeconds('1647878409.123'), 1647878409.123);
  t.equal(parseSeconds('0.003s'), 0.003);
  t.ok(Number.isNaN(parseSeconds('-')));
  t.ok(Number.isNaN(parseSeconds(undefined)));
});
