// One contract, every backend: the memory, SQLite and PostgreSQL stores must answer the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Span } from '../../src/model/span.js';
import {
  createMemoryStore,
  openPostgresStore,
  openSqliteStore,
  type SpanStore,
} from '../../src/storage/index.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import {
  BASE_MS,
  makeSpan,
  newTraceId,
  ns,
  resourceOf,
  richSpan,
  testScope,
} from '../helpers/store-spans.js';

const BASE_US = BASE_MS * 1000;

let cluster: PostgresCluster | undefined;
t.teardown(() => cluster?.stop());

const backends: Array<[string, (t: Test) => Promise<SpanStore>]> = [
  ['memory', async () => createMemoryStore()],
  [
    'sqlite',
    async (tt) => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-store-'));
      tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
      return openSqliteStore({ path: join(dir, 'spans.db') });
    },
  ],
  [
    'sqlite (inline writer)',
    async (tt) => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-store-'));
      tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
      return openSqliteStore({ path: join(dir, 'spans.db'), writer: 'inline' });
    },
  ],
  [
    'postgres',
    async () => {
      cluster ??= await startPostgres();
      return openPostgresStore({ url: await cluster.createDatabase() });
    },
  ],
];

function comparable(s: Span): unknown {
  // NaN !== NaN in deep equality; compare it as a string.
  return JSON.parse(
    JSON.stringify(s, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v,
    ),
  );
}

for (const [name, open] of backends) {
  t.test(`${name} store contract`, async (t) => {
    t.test('round-trips every field of a span', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const s = richSpan();
      await store.writeSpans([s]);
      const got = await store.getTrace(s.traceId);
      t.equal(got.length, 1);
      t.same(comparable(got[0]), comparable(s));
      t.same(await store.getTrace('0'.repeat(32)), []);
      t.same(await store.getTrace(s.traceId.toUpperCase()), got, 'trace ids are case-insensitive');
    });

    t.test('is idempotent on (traceId, spanId): a re-sent span replaces', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const a = makeSpan({ attributes: [{ key: 'request.id', value: { stringValue: 'r-old' } }] });
      const sibling = makeSpan({ traceId: a.traceId, startTimeUnixNano: ns(1) });
      await store.writeSpans([a, sibling]);
      await store.writeSpans([a]);
      const updated: Span = {
        ...a,
        name: 'GET /new',
        startTimeUnixNano: ns(3_600_000),
        endTimeUnixNano: ns(3_600_010),
        attributes: [{ key: 'request.id', value: { stringValue: 'r-new' } }],
      };
      await Promise.all([store.writeSpans([updated]), store.writeSpans([updated])]);
      const got = await store.getTrace(a.traceId);
      t.equal(got.length, 2, 'no duplicates');
      const mine = got.find((s) => s.spanId === a.spanId)!;
      t.equal(mine.name, 'GET /new');
      t.equal(mine.startTimeUnixNano, ns(3_600_000));
      t.same(
        await store.findTraceIds({ tags: { 'request.id': 'r-old' }, limit: 10 }),
        [],
        'old tags are gone',
      );
      t.same(await store.findTraceIds({ tags: { 'request.id': 'r-new' }, limit: 10 }), [a.traceId]);
      const spans = await store.findSpans({ tags: { 'request.id': 'r-new' }, limit: 10 });
      t.same(
        spans.map((s) => s.spanId),
        [a.spanId],
      );
    });

    t.test('searches traces by service, operation, tags, kind, layer, time and duration', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const podRes = resourceOf('frontend', { 'k8s.pod.name': 'frontend-abc' });
      const spans: Span[] = [];
      for (let i = 0; i < 30; i++) {
        spans.push(
          makeSpan({
            service: i % 3 === 0 ? 'redis' : 'frontend',
            resource: i % 3 === 0 ? resourceOf('redis') : podRes,
            name: i % 2 === 0 ? 'GET /dispatch' : 'HGET',
            kind: i % 2 === 0 ? 2 : 3,
            layer: i % 5 === 0 ? 'ingress' : 'app',
            startTimeUnixNano: ns(i * 60_000),
            endTimeUnixNano: ns(i * 60_000 + i),
            attributes: [
              { key: 'http.status_code', value: { intValue: i % 4 === 0 ? '500' : '200' } },
              { key: 'customer', value: { stringValue: `c${i % 7}` } },
            ],
            status: { code: i % 4 === 0 ? 2 : 0, message: '' },
            events:
              i % 6 === 0
                ? [
                    {
                      timeUnixNano: ns(i * 60_000),
                      name: 'Dispatch successful',
                      attributes: [{ key: 'driver', value: { stringValue: `T7${i}C` } }],
                      droppedAttributesCount: 0,
                    },
                  ]
                : [],
          }),
        );
      }
      // Split the write to exercise several commits.
      await store.writeSpans(spans.slice(0, 10));
      await store.writeSpans(spans.slice(10));
      const expect = (pred: (s: Span, i: number) => boolean, limit = 100) =>
        spans
          .map((s, i) => [s, i] as const)
          .filter(([s, i]) => pred(s, i))
          .sort((a, b) => b[1] - a[1])
          .slice(0, limit)
          .map(([s]) => s.traceId);

      t.same(
        await store.findTraceIds({ service: 'frontend', limit: 100 }),
        expect((s) => s.serviceName === 'frontend'),
        'by service, newest first',
      );
      t.same(
        await store.findTraceIds({ service: 'frontend', limit: 3 }),
        expect((s) => s.serviceName === 'frontend', 3),
        'limit',
      );
      t.same(
        await store.findTraceIds({ service: 'frontend', operation: 'HGET', limit: 100 }),
        expect((s) => s.serviceName === 'frontend' && s.name === 'HGET'),
      );
      t.same(
        await store.findTraceIds({ tags: { 'http.status_code': '500' }, limit: 100 }),
        expect((_s, i) => i % 4 === 0),
        'span attribute tag',
      );
      t.same(
        await store.findTraceIds({ tags: { error: 'true', customer: 'c0' }, limit: 100 }),
        expect((_s, i) => i % 4 === 0 && i % 7 === 0),
        'derived error tag and a second tag on the same span',
      );
      t.same(
        await store.findTraceIds({ tags: { 'k8s.pod.name': 'frontend-abc' }, limit: 100 }),
        expect((s) => s.serviceName === 'frontend'),
        'resource attribute tag',
      );
      t.same(
        await store.findTraceIds({ tags: { 'k8s.pod.name': 'frontend-abc', customer: 'c1' }, limit: 100 }),
        expect((s, i) => s.serviceName === 'frontend' && i % 7 === 1),
        'resource and span tags together',
      );
      t.same(
        await store.findTraceIds({ tags: { driver: 'T712C' }, limit: 100 }),
        expect((_s, i) => i === 12),
        'event attribute (a Jaeger log field)',
      );
      t.same(
        await store.findTraceIds({ tags: { driver: 'T712C' }, service: 'redis', limit: 100 }),
        expect((_s, i) => i === 12),
      );
      t.same(await store.findTraceIds({ tags: { driver: 'T712C', customer: 'c0' }, limit: 100 }), []);
      t.same(
        await store.findTraceIds({ tags: { 'span.kind': 'client' }, service: 'redis', limit: 100 }),
        expect((s) => s.serviceName === 'redis' && s.kind === 3),
      );
      t.same(
        await store.findTraceIds({ spanKind: 'server', limit: 100 }),
        expect((s) => s.kind === 2),
      );
      t.same(await store.findTraceIds({ spanKind: 'bogus', limit: 100 }), []);
      t.same(
        await store.findTraceIds({ layer: 'ingress', limit: 100 }),
        expect((_s, i) => i % 5 === 0),
      );
      t.same(
        await store.findTraceIds({ tags: { 'crosstrace.layer': 'ingress' }, limit: 100 }),
        expect((_s, i) => i % 5 === 0),
        'layer as a tag',
      );
      const startMin = BASE_US + 10 * 60_000_000;
      const startMax = BASE_US + 20 * 60_000_000;
      t.same(
        await store.findTraceIds({ startTimeMinMicros: startMin, startTimeMaxMicros: startMax, limit: 100 }),
        expect((_s, i) => i >= 10 && i <= 20),
        'time range, inclusive',
      );
      t.same(
        await store.findTraceIds({ durationMinMicros: 10_000, durationMaxMicros: 20_000, limit: 100 }),
        expect((_s, i) => i >= 10 && i <= 20),
        'duration range, inclusive',
      );
      t.same(
        await store.findTraceIds({
          tags: { 'http.status_code': '500' },
          startTimeMinMicros: startMin,
          durationMaxMicros: 20_000,
          limit: 100,
        }),
        expect((_s, i) => i % 4 === 0 && i >= 10 && i <= 20),
      );
      t.same(await store.findTraceIds({ service: 'nope', limit: 10 }), []);
      t.same(await store.findTraceIds({ tags: { customer: 'nobody' }, limit: 10 }), []);
    });

    t.test('tags match span event (log) fields and event names, as Jaeger log search does', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const event = (name: string, attrs: Record<string, string>, ms: number) => ({
        timeUnixNano: ns(ms),
        name,
        attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
        droppedAttributesCount: 0,
      });
      // HotROD's frontend: the driver is only on the "Dispatch successful" event of the root span
      const dispatch = makeSpan({
        service: 'frontend',
        name: 'HTTP GET /dispatch',
        startTimeUnixNano: ns(1000),
        endTimeUnixNano: ns(1200),
        events: [
          event('Searching for nearby drivers', { location: '728,326' }, 1010),
          event('Dispatch successful', { driver: 'T712345C', eta: '2min0s' }, 1190),
        ],
      });
      const other = makeSpan({
        service: 'frontend',
        name: 'HTTP GET /dispatch',
        startTimeUnixNano: ns(2000),
        endTimeUnixNano: ns(2200),
        events: [event('Dispatch successful', { driver: 'T700001C', eta: '1min0s' }, 2190)],
      });
      const plain = makeSpan({
        service: 'frontend',
        startTimeUnixNano: ns(3000),
        endTimeUnixNano: ns(3100),
        attributes: [{ key: 'driver', value: { stringValue: 'T799999C' } }],
      });
      await store.writeSpans([dispatch, other]);
      await store.writeSpans([plain]);
      const find = (tags: Record<string, string>, service?: string) =>
        store.findTraceIds({ service, tags, limit: 20 });
      t.same(await find({ driver: 'T712345C' }), [dispatch.traceId], 'an event attribute, no service');
      t.same(await find({ driver: 'T712345C' }, 'frontend'), [dispatch.traceId], 'with the service');
      t.same(await find({ driver: 'T799999C' }), [plain.traceId], 'span attributes still match');
      t.same(
        await find({ event: 'Dispatch successful' }),
        [other.traceId, dispatch.traceId],
        'the event name as `event`',
      );
      t.same(
        await find({ driver: 'T712345C', eta: '2min0s' }),
        [dispatch.traceId],
        'two fields of one event',
      );
      t.same(
        await find({ driver: 'T712345C', eta: '1min0s' }),
        [],
        'fields of different spans never combine',
      );
      t.same(
        await find({ driver: 'T712345C', 'service.name': 'frontend' }),
        [dispatch.traceId],
        'an event field and a resource attribute of the same span',
      );
      t.same(
        await find({ location: '728,326', driver: 'T712345C' }),
        [dispatch.traceId],
        'fields of two events of one span',
      );
      t.same(
        (await store.findSpans({ tags: { driver: 'T712345C' }, limit: 10 })).map((s) => s.spanId),
        [dispatch.spanId],
        'findSpans too',
      );
    });

    t.test('findSpans and getSpansByIds serve the stitching processor', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const traceId = newTraceId();
      const ingress = makeSpan({
        traceId,
        service: 'ingress-nginx',
        layer: 'ingress',
        attributes: [{ key: 'http.request_id', value: { stringValue: 'req-42' } }],
        startTimeUnixNano: ns(1000),
      });
      const app = makeSpan({
        traceId: newTraceId(),
        resource: resourceOf('api', { 'k8s.pod.name': 'api-1' }),
        service: 'api',
        attributes: [{ key: 'http.request_id', value: { stringValue: 'req-42' } }],
        startTimeUnixNano: ns(1500),
      });
      const late = makeSpan({
        resource: resourceOf('api', { 'k8s.pod.name': 'api-1' }),
        service: 'api',
        startTimeUnixNano: ns(90_000_000),
      });
      await store.writeSpans([ingress, app, late]);
      t.same(
        (await store.findSpans({ layer: 'ingress', tags: { 'http.request_id': 'req-42' }, limit: 10 })).map(
          (s) => s.spanId,
        ),
        [ingress.spanId],
      );
      t.same(
        (await store.findSpans({ tags: { 'http.request_id': 'req-42' }, limit: 10 })).map((s) => s.spanId),
        [app.spanId, ingress.spanId],
        'newest first',
      );
      t.same(
        (await store.findSpans({ tags: { 'http.request_id': 'req-42' }, limit: 1 })).map((s) => s.spanId),
        [app.spanId],
      );
      t.same(
        (
          await store.findSpans({
            spanKind: 'server',
            tags: { 'k8s.pod.name': 'api-1' },
            startTimeMinNanos: ns(1000),
            startTimeMaxNanos: ns(2000),
            limit: 10,
          })
        ).map((s) => s.spanId),
        [app.spanId],
        'server spans of a pod in a window (nanosecond bounds)',
      );
      t.same(
        (
          await store.findSpans({ tags: { 'k8s.pod.name': 'api-1' }, startTimeMinNanos: ns(1501), limit: 10 })
        ).map((s) => s.spanId),
        [late.spanId],
      );
      t.same(
        (await store.findSpans({ traceId, limit: 10 })).map((s) => s.spanId),
        [ingress.spanId],
      );
      t.same(
        (await store.getSpansByIds(traceId, [ingress.spanId, 'ffffffffffffffff'])).map((s) => s.spanId),
        [ingress.spanId],
      );
      t.same(await store.findSpans({ service: 'api', limit: 0 }), []);
    });

    t.test('deleteSpans removes spans from every read and search', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const traceId = newTraceId();
      const tag = (v: string) => [{ key: 'move.tag', value: { stringValue: v } }];
      const root = makeSpan({ traceId, name: 'root', attributes: tag('a'), startTimeUnixNano: ns(100) });
      const child = makeSpan({
        traceId,
        parentSpanId: root.spanId,
        service: 'db',
        name: 'child',
        attributes: tag('a'),
        startTimeUnixNano: ns(110),
      });
      const other = makeSpan({ attributes: tag('a'), startTimeUnixNano: ns(50) });
      await store.writeSpans([root, child, other]);
      t.same(await store.getDependencies(BASE_MS + 1000, 10_000), [
        { parent: 'frontend', child: 'db', callCount: 1 },
      ]);
      await store.deleteSpans(traceId.toUpperCase(), [child.spanId.toUpperCase(), 'ffffffffffffffff']);
      t.same(
        (await store.getTrace(traceId)).map((s) => s.spanId),
        [root.spanId],
      );
      t.same(await store.getSpansByIds(traceId, [child.spanId]), []);
      t.same(
        (await store.findSpans({ tags: { 'move.tag': 'a' }, limit: 10 })).map((s) => s.spanId),
        [root.spanId, other.spanId],
        'tag search skips the deleted span',
      );
      t.same(await store.findSpans({ service: 'db', limit: 10 }), [], 'service search too');
      t.same(await store.findTraceIds({ service: 'db', limit: 10 }), []);
      t.same(
        (await store.findSpans({ traceId, limit: 10 })).map((s) => s.spanId),
        [root.spanId],
      );
      t.same(await store.getDependencies(BASE_MS + 1000, 10_000), [], 'no edge to a deleted span');
      await store.deleteSpans(traceId);
      t.same(await store.getTrace(traceId), [], 'omitted span ids: the whole trace');
      t.same(await store.findTraceIds({ tags: { 'move.tag': 'a' }, limit: 10 }), [other.traceId]);
      await store.deleteSpans(newTraceId());
      await store.deleteSpans(other.traceId, []);
      t.same((await store.getTrace(other.traceId)).length, 1, 'unknown trace, empty id list: no-ops');
    });

    t.test('write-then-delete moves a span between traces, whatever the queueing', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const oldTrace = newTraceId();
      const newTrace = newTraceId();
      const spans = [0, 1, 2].map((i) =>
        makeSpan({
          traceId: oldTrace,
          attributes: [{ key: 'move.tag', value: { stringValue: `s${i}` } }],
          startTimeUnixNano: ns(200 + i),
        }),
      );
      await store.writeSpans(spans);
      // not awaited in between: the delete must still commit after the write queued before it
      const moved = spans.map((s) => ({ ...s, traceId: newTrace }));
      await Promise.all([
        store.writeSpans(moved),
        store.deleteSpans(
          oldTrace,
          spans.map((s) => s.spanId),
        ),
      ]);
      t.same(await store.getTrace(oldTrace), []);
      t.same((await store.getTrace(newTrace)).map((s) => s.spanId).sort(), spans.map((s) => s.spanId).sort());
      t.same(
        (await store.findSpans({ tags: { 'move.tag': 's1' }, limit: 10 })).map((s) => s.traceId),
        [newTrace],
        'a search hit is the moved copy, once',
      );
    });

    t.test('a row id reused after a delete is searched as the new span', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const first = makeSpan({
        attributes: [{ key: 'reuse.tag', value: { stringValue: 'old' } }],
        startTimeUnixNano: ns(300),
      });
      await store.writeSpans([first]);
      // the newest row is deleted, so SQLite hands its row id to the next insert
      await store.deleteSpans(first.traceId, [first.spanId]);
      const second = makeSpan({
        attributes: [{ key: 'reuse.tag', value: { stringValue: 'new' } }],
        startTimeUnixNano: ns(300),
      });
      await store.writeSpans([second]);
      t.same(await store.findSpans({ tags: { 'reuse.tag': 'old' }, limit: 10 }), []);
      t.same(await store.findTraceIds({ tags: { 'reuse.tag': 'old' }, limit: 10 }), []);
      t.same(
        (await store.findSpans({ tags: { 'reuse.tag': 'new' }, limit: 10 })).map((s) => s.spanId),
        [second.spanId],
      );
      // the deleted span re-written comes back, found by its own terms only
      await store.writeSpans([first]);
      t.same(
        (await store.findSpans({ tags: { 'reuse.tag': 'old' }, limit: 10 })).map((s) => s.spanId),
        [first.spanId],
      );
      t.same(
        (await store.findSpans({ tags: { 'reuse.tag': 'new' }, limit: 10 })).map((s) => s.spanId),
        [second.spanId],
      );
    });

    t.test('lists services, operations and dependencies', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const root = makeSpan({
        service: 'frontend',
        name: 'GET /dispatch',
        kind: 2,
        startTimeUnixNano: ns(0),
      });
      const child = makeSpan({
        traceId: root.traceId,
        parentSpanId: root.spanId,
        service: 'customer',
        name: 'SQL SELECT',
        kind: 3,
        startTimeUnixNano: ns(1),
      });
      const sameService = makeSpan({
        traceId: root.traceId,
        parentSpanId: root.spanId,
        service: 'frontend',
        name: 'internal',
        kind: 1,
        startTimeUnixNano: ns(2),
      });
      // An OpenTracing child_of reference with no parentSpanId still makes an edge.
      const otChild = makeSpan({
        traceId: root.traceId,
        service: 'driver',
        name: 'FindNearest',
        kind: 0,
        startTimeUnixNano: ns(3),
        links: [
          {
            traceId: root.traceId,
            spanId: root.spanId,
            traceState: '',
            attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'child_of' } }],
            droppedAttributesCount: 0,
            flags: 0,
          },
        ],
      });
      const old = makeSpan({
        traceId: newTraceId(),
        service: 'customer',
        startTimeUnixNano: ns(-7_200_000),
      });
      const oldChild = makeSpan({
        traceId: old.traceId,
        parentSpanId: old.spanId,
        service: 'redis',
        startTimeUnixNano: ns(-7_200_000),
      });
      await store.writeSpans([child, root, sameService, otChild, old, oldChild]);
      t.same(await store.getServices(), ['customer', 'driver', 'frontend', 'redis']);
      t.same(await store.getOperations('frontend'), [
        { name: 'GET /dispatch', spanKind: 'server' },
        { name: 'internal', spanKind: 'internal' },
      ]);
      t.same(await store.getOperations('frontend', 'server'), [
        { name: 'GET /dispatch', spanKind: 'server' },
      ]);
      t.same(await store.getOperations('driver'), [{ name: 'FindNearest', spanKind: '' }]);
      t.same(await store.getOperations('nope'), []);
      const deps = await store.getDependencies(BASE_MS + 1000, 3_600_000);
      t.same(
        deps.sort((a, b) => (a.child < b.child ? -1 : 1)),
        [
          { parent: 'frontend', child: 'customer', callCount: 1 },
          { parent: 'frontend', child: 'driver', callCount: 1 },
        ],
      );
    });

    t.test('tag search over a long time range (many buckets) still finds everything', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const day = 86_400_000;
      const spans = [0, 1, 45].map((d) =>
        makeSpan({
          service: 'svc',
          startTimeUnixNano: ns(d * day),
          endTimeUnixNano: ns(d * day + 1),
          attributes: [{ key: 'k', value: { stringValue: 'v' } }],
        }),
      );
      await store.writeSpans(spans);
      t.same(await store.findTraceIds({ tags: { k: 'v' }, limit: 10 }), [
        spans[2].traceId,
        spans[1].traceId,
        spans[0].traceId,
      ]);
      t.same(await store.findTraceIds({ service: 'svc', tags: { k: 'v' }, limit: 2 }), [
        spans[2].traceId,
        spans[1].traceId,
      ]);
    });

    t.test('keeps many spans of one trace and many writers', async (t) => {
      const store = await open(t);
      t.teardown(() => store.close());
      const traceId = newTraceId();
      const writes: Promise<void>[] = [];
      for (let w = 0; w < 20; w++) {
        const batch: Span[] = [];
        for (let i = 0; i < 50; i++) {
          batch.push(makeSpan({ traceId, startTimeUnixNano: ns(w * 50 + i), scope: testScope }));
        }
        writes.push(store.writeSpans(batch));
      }
      await Promise.all(writes);
      t.equal((await store.getTrace(traceId)).length, 1000);
      t.same(await store.findTraceIds({ service: 'frontend', limit: 5 }), [traceId]);
    });
  });
}
