import { randomBytes } from 'node:crypto';

/** An OTLP/JSON request with `n` spans of one trace (plus `bad` spans with an invalid trace id). */
export function otlpJson(
  n: number,
  options: { service?: string; bad?: number; traceId?: string } = {},
): {
  body: Record<string, unknown>;
  traceId: string;
} {
  const traceId = options.traceId ?? randomBytes(16).toString('hex');
  const spans: unknown[] = [];
  for (let i = 0; i < n; i++) {
    spans.push({
      traceId,
      spanId: randomBytes(8).toString('hex'),
      name: `op-${i}`,
      kind: 2,
      startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n),
      endTimeUnixNano: String(1_700_000_000_000_500_000n + BigInt(i) * 1000n),
      attributes: [{ key: 'i', value: { intValue: String(i) } }],
    });
  }
  for (let i = 0; i < (options.bad ?? 0); i++)
    spans.push({ traceId: 'bad', spanId: '0102030405060708', name: 'bad' });
  return {
    traceId,
    body: {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: options.service ?? 'svc' } }],
          },
          scopeSpans: [{ scope: { name: 's' }, spans }],
        },
      ],
    },
  };
}
