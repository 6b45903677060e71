import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import t from 'tap';
import { contextFromRequestId, ingressSpanIdBytes, ingressSpanIds } from '../src/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

t.test('32-hex request id is the trace id', async (t) => {
  const ctx = contextFromRequestId('0B8BC3A2E0A4F1A6A2E9D4C51F7B3E21');
  t.equal(ctx?.traceId, '0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21');
  t.equal(ctx?.spanId, sha('crosstrace/ingress/0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21').slice(0, 16));
  t.equal(ctx?.direct, true);
});

t.test('UUID request ids drop their dashes', async (t) => {
  const ctx = contextFromRequestId('123e4567-e89b-12d3-a456-426614174000');
  t.equal(ctx?.traceId, '123e4567e89b12d3a456426614174000');
  t.equal(ctx?.direct, true);
});

t.test('other ids are hashed deterministically', async (t) => {
  const a = contextFromRequestId('req-42');
  const b = contextFromRequestId(' REQ-42 ');
  t.equal(a?.traceId, sha('crosstrace/trace/req-42').slice(0, 32));
  t.same(a, b);
  t.equal(a?.direct, false);
  t.not(a?.traceId, contextFromRequestId('req-43')?.traceId);
});

t.test('all-zero ids never produce an invalid trace id', async (t) => {
  const ctx = contextFromRequestId('0'.repeat(32));
  t.not(ctx?.traceId, '0'.repeat(32));
  t.match(ctx?.traceId, /^[0-9a-f]{32}$/);
});

t.test('bad input gives undefined, never throws', async (t) => {
  for (const bad of [undefined, null, 42, '', '   ', 'x'.repeat(257), {}]) {
    t.equal(contextFromRequestId(bad), undefined);
  }
});

t.test('ingress span ids: last attempt is the app parent', async (t) => {
  const id = 'fe1c2b9f0d6a4c8e9b7a6d5c4b3a2910';
  const ids = ingressSpanIds(id, 3);
  t.equal(ids?.attemptSpanIds.length, 3);
  t.equal(ids?.attemptSpanIds[2], contextFromRequestId(id)?.spanId);
  t.equal(new Set([ids?.serverSpanId, ...(ids?.attemptSpanIds ?? [])]).size, 4, 'all distinct');
  t.same(ingressSpanIds(id, 0)?.attemptSpanIds, []);
  t.equal(ingressSpanIds('', 1), undefined);
});

t.test('ids are the documented sha256 derivation, byte for byte', async (t) => {
  const ids = [
    'fe1c2b9f0d6a4c8e9b7a6d5c4b3a2910',
    'req-42',
    'Ünïcode-ïd',
    '123e4567-e89b-12d3-a456-426614174000',
  ];
  for (const raw of ids) {
    const id = raw.toLowerCase();
    const ctx = contextFromRequestId(raw);
    const hashed = !/^[0-9a-f]{32}$/.test(id) && !/^[0-9a-f-]{36}$/.test(id);
    if (hashed) t.equal(ctx?.traceId, sha(`crosstrace/trace/${id}`).slice(0, 32), raw);
    const all = ingressSpanIds(raw, 3);
    t.equal(all?.serverSpanId, sha(`crosstrace/ingress/${id}`).slice(16, 32), raw);
    t.same(
      all?.attemptSpanIds,
      [
        sha(`crosstrace/attempt/0/${id}`).slice(0, 16),
        sha(`crosstrace/attempt/1/${id}`).slice(0, 16),
        sha(`crosstrace/ingress/${id}`).slice(0, 16),
      ],
      raw,
    );
  }
});

/** A request id of one of the shapes the derivation tells apart (and some it rejects). */
function randomRequestId(): unknown {
  switch (randomInt(13)) {
    case 0:
      return randomBytes(16).toString('hex');
    case 1:
      return randomBytes(16).toString('hex').toUpperCase();
    case 2:
      return randomUUID();
    case 3:
      return ` ${randomUUID().toUpperCase()}\t`;
    case 4:
      return randomInt(3) === 0 ? '0'.repeat(32) : '00000000-0000-0000-0000-000000000000';
    case 5:
      return randomBytes(randomInt(1, 40)).toString('base64');
    case 6:
      return 'x'.repeat(randomInt(250, 260));
    case 7:
      return String.fromCodePoint(...Array.from({ length: randomInt(1, 20) }, () => randomInt(0x20, 0x2fff)));
    case 8:
      return ['', '   ', ' '.repeat(32), '\t'.repeat(32)][randomInt(4)]; // nothing once trimmed
    case 9:
      return randomInt(2) === 0 ? 42 : undefined;
    case 10:
      return randomBytes(15).toString('hex'); // 30 digits: hashed
    case 11: {
      // 32 characters, one of them just outside the lowercase hex digits: hashed, not taken as hex
      const id = randomBytes(16).toString('hex').split('');
      id[randomInt(32)] = '/:`g@GA'[randomInt(7)];
      return id.join('');
    }
    default:
      return `req-${randomInt(1e9)}`;
  }
}

t.test('ingressSpanIdBytes writes the bytes of ingressSpanIds, for thousands of random ids', async (t) => {
  const out = new Uint8Array(256);
  let checked = 0;
  let fromBytes = 0;
  for (let n = 0; n < 5000; n++) {
    const raw = randomRequestId();
    const attempts = [0, 1, 2, 3, 5, -1, 1.5][n % 7];
    const offset = n % 3;
    // First with the id's characters as bytes inside a longer buffer (a log line), as the bridge
    // passes them: those are read instead of the string, and must give the same ids.
    const ascii = typeof raw === 'string' && Buffer.byteLength(raw) === raw.length;
    const line = Buffer.from(`10.0.0.1 - "GET /" ${raw} 200`, 'latin1');
    const textOut = new Uint8Array(256).fill(0xee);
    const textOk = ascii ? ingressSpanIdBytes(raw, attempts, textOut, offset, line, 19) : false;
    out.fill(0xee);
    const ok = ingressSpanIdBytes(raw, attempts, out, offset);
    if (ascii && (textOk !== ok || !Buffer.from(textOut).equals(Buffer.from(out))))
      t.fail(`ids of ${JSON.stringify(raw)} read from bytes differ`);
    else if (ascii) fromBytes++;
    const hex = ingressSpanIds(raw, attempts);
    if (hex === undefined) {
      if (ok || out.some((b) => b !== 0xee)) t.fail(`wrote ids for ${JSON.stringify(raw)}`);
      continue;
    }
    const got = Buffer.from(out);
    const count = hex.attemptSpanIds.length;
    const expected = [hex.traceId, hex.serverSpanId, ...hex.attemptSpanIds].join('');
    const actual = got.toString('hex', offset, offset + 24 + 8 * count);
    if (!ok || actual !== expected || got[offset + 24 + 8 * count] !== 0xee)
      t.fail(`ids of ${JSON.stringify(raw)} ×${attempts}`, { actual, expected });
    else checked++;
  }
  t.ok(checked > 2500, `${checked} ids compared`);
  t.ok(fromBytes > 2500, `${fromBytes} ids also read from bytes`);
});

t.test('ingressSpanIdBytes: zero ids and digests, and an out without room', async (t) => {
  const out = new Uint8Array(40);
  t.ok(ingressSpanIdBytes('0'.repeat(32), 2, out));
  t.equal(
    Buffer.from(out.subarray(0, 16)).toString('hex'),
    sha(`crosstrace/trace/${'0'.repeat(32)}`).slice(0, 32),
  );
  t.throws(() => ingressSpanIdBytes('req-1', 3, out), RangeError);
  t.throws(() => ingressSpanIdBytes('req-1', 2, out, 1), RangeError);
  t.equal(ingressSpanIdBytes(undefined, 0, out), false);
});
