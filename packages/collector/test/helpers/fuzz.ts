// Inputs for the fuzz suite (test/fuzz): seeds made by the real OTel SDK's serializers (the ones
// its OTLP exporters send), structural mutations of them (ids of every length, times across the
// fixed64 range, random AnyValue trees, extreme numbers and strings), byte-level mutations, and
// Kubernetes bodies from the fixtures. CROSSTRACE_FUZZ_RUNS sets the cases per property (a few
// hundred in `pnpm test`, tens of thousands under `pnpm fuzz`).
import { readFileSync } from 'node:fs';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { ExportTraceServiceRequest } from './proto.js';

/** Cases per property: CROSSTRACE_FUZZ_RUNS, else `ci`. */
export function fuzzRuns(ci: number): number {
  const n = Number(process.env.CROSSTRACE_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

/** fast-check parameters: the run count, and a seed to reproduce (CROSSTRACE_FUZZ_SEED). */
export function fuzzParams(ci: number): fc.Parameters<unknown> {
  const seed = Number(process.env.CROSSTRACE_FUZZ_SEED);
  return { numRuns: fuzzRuns(ci), ...(Number.isInteger(seed) ? { seed } : {}), endOnFailure: true };
}

/** Spans from the real SDK with every kind of field set (attributes of each type, events, links, status). */
async function sdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'fuzz-svc',
      'k8s.pod.name': 'web-1',
      'k8s.namespace.name': 'shop',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('fuzz-scope', '1.0.0');
  const root = tracer.startSpan('GET /dispatch', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.method': 'GET',
      'http.status_code': 200,
      ratio: 0.5,
      ok: true,
      list: ['a', 'b'],
      nums: [1, 2],
    },
    startTime: [1_700_000_000, 123_456_789],
  });
  const child = tracer.startSpan(
    'SELECT customers',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'mysql', rows: 42, 'server.address': '10.244.1.7' },
      links: [{ context: root.spanContext(), attributes: { 'opentracing.ref_type': 'follows_from' } }],
      startTime: [1_700_000_000, 200_000_000],
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent('retry', { attempt: 2 }, [1_700_000_000, 250_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  child.end([1_700_000_000, 300_000_000]);
  root.end([1_700_000_000, 400_000_001]);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export interface Seeds {
  /** ExportTraceServiceRequest bodies as the OTLP/HTTP protobuf and gRPC exporters send them */
  protobuf: Buffer[];
  /** the same as OTLP/HTTP JSON exporters send them, parsed */
  json: unknown[];
  /** Kubernetes bodies: YAML events, watch events, an audit EventList */
  k8sObjects: string[];
  k8sAudit: string[];
}

export async function seeds(): Promise<Seeds> {
  const spans = await sdkSpans();
  const proto = ProtobufTraceSerializer.serializeRequest(spans);
  const json = JsonTraceSerializer.serializeRequest(spans);
  if (proto === undefined || json === undefined) throw new Error('the SDK serializers produced nothing');
  const fixture = (f: string) =>
    readFileSync(new URL(`../fixtures/kubernetes/${f}`, import.meta.url), 'utf8');
  const audit = fixture('audit-events.jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const pod = {
    type: 'MODIFIED',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '12',
        creationTimestamp: '2026-01-10T12:00:00Z',
        deletionTimestamp: '2026-01-10T13:00:00Z',
        deletionGracePeriodSeconds: 30,
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d567cc74c' }],
      },
      spec: { nodeName: 'n1' },
      status: {
        podIP: '10.244.1.7',
        podIPs: [{ ip: '10.244.1.7' }],
        startTime: '2026-01-10T12:00:01Z',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-10T12:00:05Z' }],
        containerStatuses: [{ name: 'web', state: { terminated: { finishedAt: '2026-01-10T13:00:10Z' } } }],
      },
    },
  };
  const slice = {
    type: 'ADDED',
    object: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-x',
        namespace: 'shop',
        uid: 's1',
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-10T12:00:05Z' },
      },
      endpoints: [
        {
          addresses: ['10.244.1.7'],
          conditions: { ready: true, terminating: false },
          targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u1' },
        },
      ],
    },
  };
  return {
    protobuf: [Buffer.from(proto)],
    json: [JSON.parse(Buffer.from(json).toString('utf8'))],
    k8sObjects: [
      fixture('events-deployment-rollout.yaml'),
      `${JSON.stringify(pod)}\n${JSON.stringify(slice)}\n`,
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod.object, slice.object] }, null, 2),
    ],
    k8sAudit: [JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: audit })],
  };
}

const FIXED64_EDGES = [
  0n,
  1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  1_700_000_000_000_000_000n,
];

/** Numbers at the edges: integers around 2^31, 2^53, 2^63, 2^64, negatives, floats, NaN-ish. */
export const extremeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32,
    2 ** 53,
    -(2 ** 53),
    2 ** 63,
    2 ** 64,
    1e308,
    -1e308,
    5e-324,
    0.5,
  ),
  fc.integer(),
  fc.double(),
);

/** Strings at the edges: empty, long, NUL, lone surrogates, every plane, digits past 64 bits. */
export const extremeString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '\u0000',
    '\ud800',
    '\udfff',
    '\uffff',
    '😀',
    'NaN',
    'Infinity',
    '-1',
    '18446744073709551616',
    '9300000000000000000',
    '0x10',
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

/** A random OTLP/JSON AnyValue tree (arrays and kvlists nested up to 40 deep: past the decoders' bound). */
export const anyValueJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: extremeString }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({
      intValue: fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), extremeNumber),
    }),
    fc.record({ doubleValue: fc.oneof(extremeNumber, fc.constantFrom('NaN', 'Infinity', '-Infinity', 'x')) }),
    fc.record({ bytesValue: fc.base64String() }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 4 }) }) }),
    fc.record({
      kvlistValue: fc.record({
        values: fc.array(fc.record({ key: extremeString, value: tie('value') }), { maxLength: 4 }),
      }),
    }),
    fc.constant({}),
  ),
})).value;

/** The same tree, in the protobufjs object form of the schema (for protobuf bodies). */
export const anyValueProto: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: extremeString }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
    fc.record({ doubleValue: extremeNumber }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 4 }) }) }),
    fc.record({
      kvlistValue: fc.record({
        values: fc.array(fc.record({ key: extremeString, value: tie('value') }), { maxLength: 4 }),
      }),
    }),
  ),
})).value;

const idBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));
/** Ids of the right length (mostly), the wrong one, or all zero. */
export const idArb = (len: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 6, arbitrary: idBytes(len) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(len)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
  );
const fixed64 = fc
  .oneof(fc.constantFrom(...FIXED64_EDGES), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map((n) => ({ low: Number(n & 0xffffffffn) | 0, high: Number(n >> 32n) | 0, unsigned: true }));

/** A span in protobufjs object form, every field at random (ids, times, kinds, attributes…). */
const protoSpan = fc.record(
  {
    traceId: idArb(16),
    spanId: idArb(8),
    parentSpanId: fc.oneof(fc.constant(Buffer.alloc(0)), idArb(8)),
    traceState: extremeString,
    name: extremeString,
    kind: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    startTimeUnixNano: fixed64,
    endTimeUnixNano: fixed64,
    attributes: fc.array(fc.record({ key: extremeString, value: anyValueProto }), { maxLength: 6 }),
    droppedAttributesCount: fc.nat(),
    events: fc.array(
      fc.record({
        timeUnixNano: fixed64,
        name: extremeString,
        attributes: fc.array(fc.record({ key: extremeString, value: anyValueProto }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
    links: fc.array(
      fc.record({ traceId: idArb(16), spanId: idArb(8), traceState: extremeString, flags: fc.nat() }),
      { maxLength: 2 },
    ),
    status: fc.record({ code: fc.integer({ min: -1, max: 5 }), message: extremeString }),
    flags: fc.nat(),
  },
  { requiredKeys: ['traceId', 'spanId'] },
);

/** A whole ExportTraceServiceRequest in protobufjs object form, mixing a seed's spans with random ones. */
export function protoRequest(seed: Buffer): fc.Arbitrary<Record<string, unknown>> {
  const base = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(seed), {
    longs: Object,
    bytes: Buffer,
  }) as { resourceSpans: { resource?: unknown; scopeSpans: { scope?: unknown; spans: unknown[] }[] }[] };
  const seedSpans = base.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  return fc
    .record({
      resource: fc.oneof(
        fc.constant(base.resourceSpans[0].resource),
        fc.record({
          attributes: fc.array(fc.record({ key: extremeString, value: anyValueProto }), { maxLength: 4 }),
        }),
      ),
      scope: fc.oneof(
        fc.constant(base.resourceSpans[0].scopeSpans[0].scope),
        fc.record({ name: extremeString, version: extremeString }),
      ),
      spans: fc.array(fc.oneof(fc.constantFrom(...seedSpans), protoSpan), { minLength: 0, maxLength: 8 }),
    })
    .map((r) => ({
      resourceSpans: [{ resource: r.resource, scopeSpans: [{ scope: r.scope, spans: r.spans }] }],
    }));
}

/** Byte-level mutations of a valid body: flips, truncation, insertion, splicing, extreme varints. */
export function mutatedBytes(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
      const c = Buffer.from(b);
      if (c.length > 0) c[at % c.length] = v;
      return c;
    }),
    fc.tuple(valid, fc.nat()).map(([b, at]) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
    fc.tuple(valid, fc.nat(), fc.uint8Array({ maxLength: 16 })).map(([b, at, ins]) => {
      const i = b.length === 0 ? 0 : at % b.length;
      return Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i)]);
    }),
    fc.tuple(valid, valid).map(([a, b]) => Buffer.concat([a, b])),
    fc.tuple(valid, fc.nat()).map(([b, at]) => {
      // a length or varint pushed to its extreme
      const c = Buffer.from(b);
      const i = c.length === 0 ? 0 : at % c.length;
      return Buffer.concat([c.subarray(0, i), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), c.subarray(i)]);
    }),
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  );
}

/** Replaces random nodes of a JSON value with random values (or each field's edge values). */
export function mutatedJson(seed: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i], [...path, i]);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(seed, []);
  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    anyValueJson,
    extremeNumber,
    extremeString,
    fc.constantFrom(null, [], {}, true, '0', '00000000000000000000000000000000', 'zz'),
    fc.constantFrom(...FIXED64_EDGES).map(String),
    fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }).map(String),
  );
  return fc
    .array(fc.tuple(fc.constantFrom(...paths), replacement), { minLength: 0, maxLength: 4 })
    .map((edits) => {
      let doc = structuredClone(seed);
      for (const [path, value] of edits) {
        if (path.length === 0) {
          doc = value;
          continue;
        }
        let node: unknown = doc;
        for (const k of path.slice(0, -1)) {
          if (node === null || typeof node !== 'object') break;
          node = (node as Record<string | number, unknown>)[k];
        }
        if (node !== null && typeof node === 'object')
          (node as Record<string | number, unknown>)[path[path.length - 1]] = value;
      }
      return doc;
    });
}

/** Raw text mutations: truncation, insertion of JSON/YAML syntax, an emptied body. */
export function mutatedText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat()).map(([s, at]) => s.slice(0, s.length === 0 ? 0 : at % s.length)),
    fc
      .tuple(
        valid,
        fc.nat(),
        fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          '"',
          '\\',
          ':',
          '---\n',
          '\n',
          '\u0000',
          'null',
          ',',
          '&a',
          '*a',
          '!!binary',
        ),
      )
      .map(([s, at, ins]) => {
        const i = s.length === 0 ? 0 : at % s.length;
        return s.slice(0, i) + ins + s.slice(i);
      }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constant(''),
  );
}
