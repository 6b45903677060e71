// Large traces in OTLP/JSON for the first-screen measurements: an ingress request, its upstream
// attempt and an app tree below it (fan-out 10), services by subtree, an error every 97 spans and
// an event every 50.

export interface OtlpRequest {
  resourceSpans: unknown[];
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

/** Batches of at most `batch` spans of one trace of `count` spans, starting at `startMs`. */
export function bigTrace(opts: {
  traceId: string;
  count: number;
  startMs: number;
  batch?: number;
}): OtlpRequest[] {
  const { traceId, count, startMs } = opts;
  const batch = opts.batch ?? 5000;
  const ns = (us: number) => `${BigInt(startMs) * 1_000_000n + BigInt(Math.round(us * 1000))}`;
  const byService = new Map<string, unknown[]>();
  const requests: OtlpRequest[] = [];
  let pending = 0;
  const flush = () => {
    requests.push({
      resourceSpans: [...byService.entries()].map(([service, spans]) => ({
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            ...(service === 'ingress-nginx'
              ? [{ key: 'crosstrace.layer', value: { stringValue: 'ingress' } }]
              : []),
          ],
        },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      })),
    });
    byService.clear();
    pending = 0;
  };
  // span i's parent is (i - 1) / 10 for the app tree; 0 is the ingress request, 1 its attempt
  const totalUs = 5_000_000;
  const start = new Float64Array(count);
  const dur = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let service: string;
    let name: string;
    let parent = -1;
    let kind = 2;
    if (i === 0) {
      service = 'ingress-nginx';
      name = 'GET shop-web-8080';
      start[i] = 0;
      dur[i] = totalUs;
    } else if (i === 1) {
      service = 'ingress-nginx';
      name = 'GET shop-web-8080';
      kind = 3;
      parent = 0;
      start[i] = 100;
      dur[i] = totalUs - 200;
    } else {
      parent = i === 2 ? 1 : 2 + Math.floor((i - 3) / 10);
      const sibling = (i - 3) % 10;
      const ps = start[parent];
      const pd = dur[parent];
      start[i] = i === 2 ? ps + 50 : ps + (pd / 10) * sibling + 1;
      dur[i] = i === 2 ? pd - 100 : Math.max(1, pd / 10 - 2);
      service = `svc-${i === 2 ? 0 : (parent % 23) + 1}`;
      name = `op-${i % 37}`;
      kind = i % 3 === 0 ? 3 : 2;
    }
    const span: Record<string, unknown> = {
      traceId,
      spanId: hex(i + 1, 16),
      parentSpanId: parent >= 0 ? hex(parent + 1, 16) : '',
      name,
      kind,
      startTimeUnixNano: ns(start[i]),
      endTimeUnixNano: ns(start[i] + dur[i]),
      attributes: [
        { key: 'http.route', value: { stringValue: `/${name}` } },
        { key: 'seq', value: { intValue: String(i) } },
      ],
    };
    if (i % 97 === 5) span.status = { code: 2, message: 'boom' };
    if (i % 50 === 7)
      span.events = [{ timeUnixNano: ns(start[i] + dur[i] / 2), name: 'cache miss', attributes: [] }];
    const list = byService.get(service);
    if (list) list.push(span);
    else byService.set(service, [span]);
    if (++pending >= batch) flush();
  }
  if (pending > 0) flush();
  return requests;
}

/** `count` small traces (3 spans each), one every `stepMs`, ending before `endMs`. */
export function manyTraces(opts: { count: number; endMs: number; stepMs: number }): OtlpRequest[] {
  const out: OtlpRequest[] = [];
  let spans: unknown[] = [];
  for (let k = 0; k < opts.count; k++) {
    const t0 = opts.endMs - (opts.count - k) * opts.stepMs;
    const ns = (ms: number) => `${BigInt(Math.round((t0 + ms) * 1000)) * 1000n}`;
    const traceId = `b${hex(k + 1, 31)}`;
    const d = 20 + (k % 50) * 3;
    spans.push(
      {
        traceId,
        spanId: hex(3 * k + 1, 16),
        name: 'GET /api',
        kind: 2,
        startTimeUnixNano: ns(0),
        endTimeUnixNano: ns(d),
      },
      {
        traceId,
        spanId: hex(3 * k + 2, 16),
        parentSpanId: hex(3 * k + 1, 16),
        name: 'SELECT',
        kind: 3,
        startTimeUnixNano: ns(1),
        endTimeUnixNano: ns(d / 2),
        ...(k % 13 === 0 ? { status: { code: 2 } } : {}),
      },
      {
        traceId,
        spanId: hex(3 * k + 3, 16),
        parentSpanId: hex(3 * k + 1, 16),
        name: 'GET /cache',
        kind: 3,
        startTimeUnixNano: ns(d / 2),
        endTimeUnixNano: ns(d - 1),
      },
    );
    if (spans.length >= 3000 || k === opts.count - 1) {
      out.push({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
            scopeSpans: [{ scope: { name: 'bench' }, spans }],
          },
        ],
      });
      spans = [];
    }
  }
  return out;
}
