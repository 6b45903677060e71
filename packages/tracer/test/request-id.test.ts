import { createHash } from 'node:crypto';
import t from 'tap';
import { contextFromRequestId, ingressSpanIds } from '../src/propagation/request-id.js';

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
    t.equal(all?.serverSpanId, sha(`crosstrace/server/${id}`).slice(0, 16), raw);
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
