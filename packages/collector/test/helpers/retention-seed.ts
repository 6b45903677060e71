// What both retention-through-the-collector tests load (SQLite and PostgreSQL): a pod added and
// deleted three hours ago, a pod added a minute ago, and one span of `old-svc` and of `new-svc` at
// those two times, each through the collector's receivers; checks every answer is 200.
import type { Test } from 'tap';
import { formatNanos } from '../../src/controlplane/index.js';
import type { Collector } from '../../src/index.js';
import { otlpJson } from './otlp-json.js';

/** The seeded times (ns since the epoch) and the control-plane observations after seeding. */
export interface RetentionSeed {
  old: bigint;
  recent: bigint;
  observationsBefore: number;
}

export async function seedRetention(t: Test, c: Collector): Promise<RetentionSeed> {
  const old = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
  const recent = BigInt(Date.now() - 60_000) * 1_000_000n;
  const watch = (name: string, at: bigint, type: string) =>
    JSON.stringify({
      type,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'shop', uid: `u-${name}`, creationTimestamp: formatNanos(at) },
        status: { podIP: '10.1.0.1', startTime: formatNanos(at) },
      },
    });
  const objects = await c.otlpHttp.inject({
    method: 'POST',
    url: '/k8s/objects?arrival=none',
    headers: { 'content-type': 'application/json' },
    payload: `${watch('old', old, 'ADDED')}\n${watch('old', old + 1_000_000_000n, 'DELETED')}\n${watch('new', recent, 'ADDED')}\n`,
  });
  t.equal(objects.statusCode, 200);
  const observationsBefore = c.controlPlane.size().observations;
  t.equal(observationsBefore, 3);
  const span = (service: string, start: bigint) => {
    const { body } = otlpJson(1, { service });
    const s = (body.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]
      .scopeSpans[0].spans[0];
    s.startTimeUnixNano = String(start);
    s.endTimeUnixNano = String(start + 1000n);
    return body;
  };
  for (const [svc, at] of [
    ['old-svc', old],
    ['new-svc', recent],
  ] as const) {
    const res = await c.otlpHttp.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/json' },
      payload: span(svc, at),
    });
    t.equal(res.statusCode, 200);
  }
  return { old, recent, observationsBefore };
}
