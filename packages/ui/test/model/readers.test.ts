import t from 'tap';
import { isJaegerDocument, spansFromJaeger } from '../../src/model/from-jaeger.js';
import { isOtlpDocument, nanosToMicros, normaliseId, spansFromOtlp } from '../../src/model/from-otlp.js';
import { tracesFromDocument } from '../../src/open-file.js';

const otlp = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'frontend' } }] },
      scopeSpans: [
        {
          scope: { name: 'lib', version: '1.0' },
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              parentSpanId: 'EEE19B7EC3C1B173',
              name: 'GET /x',
              kind: 2,
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000123',
              attributes: [
                { key: 'n', value: { intValue: '42' } },
                { key: 'big', value: { intValue: '9007199254740993' } },
                {
                  key: 'list',
                  value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }] } },
                },
                {
                  key: 'map',
                  value: { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 1.5 } }] } },
                },
              ],
              events: [{ timeUnixNano: '1544712660500000000', name: 'ev', attributes: [] }],
              links: [
                {
                  traceId: 'W47/95gDgQPSabYzgT/GDA==',
                  spanId: '7uGbfsPBsXQ=',
                  attributes: [
                    { key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } },
                    { key: 'crosstrace.link.type', value: { stringValue: 'pod-lifecycle' } },
                  ],
                },
              ],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

t.test('OTLP/JSON: ids, times, values, kinds, status, links', async (t) => {
  t.ok(isOtlpDocument(otlp));
  t.ok(isOtlpDocument({ result: otlp }), "Jaeger /api/v3's envelope");
  const [s] = spansFromOtlp(structuredClone(otlp));
  t.equal(s.traceID, '5b8efff798038103d269b633813fc60c', 'hex ids lower-cased');
  t.equal(s.spanID, 'eee19b7ec3c1b174');
  t.equal(s.startUs, 1544712660000000);
  t.equal(s.durationUs, 1000000);
  t.equal(s.kind, 'server');
  t.equal(s.statusCode, 'ERROR');
  t.equal(s.service, 'frontend');
  t.same(s.scope, { name: 'lib', version: '1.0' });
  t.same(
    s.attributes.map((a) => [a.key, a.value]),
    [
      ['n', 42],
      ['big', '9007199254740993'],
      ['list', ['a', true]],
      ['map', { k: 1.5 }],
    ],
  );
  t.equal(s.events[0].timeUs, 1544712660500000);
  t.equal(
    s.links[0].traceID,
    '5b8efff798038103d269b633813fc60c',
    'base64 ids (protobuf JSON mapping) decoded',
  );
  t.equal(s.links[0].spanID, 'eee19b7ec3c1b174');
  t.equal(s.links[0].linkType, 'pod-lifecycle');
  t.equal(s.links[0].refType, 'follows_from');
  t.equal(nanosToMicros('999'), 0);
  t.equal(normaliseId('abc', 8), '0000000000000abc', 'short hex ids are left-padded');
});

t.test('Jaeger JSON: process, derived tags back to kind and status, logs, references', async (t) => {
  const doc = {
    data: [
      {
        traceID: '4bf92f3577b34da6',
        processes: {
          p1: { serviceName: 'ingress-nginx', tags: [{ key: 'host.name', type: 'string', value: 'n1' }] },
        },
        spans: [
          {
            traceID: '4bf92f3577b34da6',
            spanID: '00f067aa0ba902b7',
            operationName: 'GET',
            references: [],
            startTime: 1700000000000000,
            duration: 1500,
            processID: 'p1',
            tags: [
              { key: 'span.kind', type: 'string', value: 'client' },
              { key: 'error', type: 'bool', value: true },
              { key: 'otel.status_description', type: 'string', value: 'upstream 502' },
              { key: 'http.response.status_code', type: 'int64', value: 502 },
            ],
            logs: [
              { timestamp: 1700000000000100, fields: [{ key: 'event', type: 'string', value: 'retry' }] },
            ],
          },
          {
            traceID: '4bf92f3577b34da6',
            spanID: '00f067aa0ba902b8',
            operationName: 'child',
            references: [
              { refType: 'CHILD_OF', traceID: '4bf92f3577b34da6', spanID: '00f067aa0ba902b7' },
              { refType: 'FOLLOWS_FROM', traceID: '1', spanID: '2' },
            ],
            startTime: 1700000000000200,
            duration: 10,
            processID: 'p1',
          },
        ],
      },
    ],
  };
  t.ok(isJaegerDocument(doc));
  t.notOk(isJaegerDocument({ foo: 1 }));
  const [a, b] = spansFromJaeger(doc);
  t.equal(a.traceID, '00000000000000004bf92f3577b34da6', '64-bit ids left-padded');
  t.equal(a.kind, 'client');
  t.equal(a.statusCode, 'ERROR');
  t.equal(a.statusMessage, 'upstream 502');
  t.equal(a.layer, 'ingress', 'inferred from the service name when no crosstrace.layer tag');
  t.same(a.events, [{ timeUs: 1700000000000100, name: 'retry', attributes: [] }]);
  t.ok(!a.attributes.some((x) => x.key === 'span.kind'), 'derived tags are not attributes again');
  t.equal(b.parentSpanID, '00f067aa0ba902b7');
  t.same(
    b.links.map((l) => [l.refType, l.traceID]),
    [['follows_from', `${'0'.repeat(31)}1`]],
  );
  const traces = tracesFromDocument(doc);
  t.equal(traces.length, 1);
  t.equal(traces[0].spans[1].parentIndex, 0);
  t.throws(() => tracesFromDocument({ hello: 'world' }), /not a trace/);
});
