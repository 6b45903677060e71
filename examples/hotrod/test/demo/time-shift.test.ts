import t from 'tap';
import { k8sMicros, k8sSeconds, parseRfc3339, rfc3339Nano } from '../../src/demo/cluster/k8s-time.js';
import {
  shiftAccessLogLine,
  shiftJsonTimes,
  shiftOtlpJson,
  shiftRfc3339,
} from '../../src/demo/time-shift.js';

const NS = 1_796_615_974_726_123_456n; // 2026-12-07T03:59:34.726123456Z

t.test('Kubernetes time formats', async (t) => {
  t.equal(k8sSeconds(NS), '2026-12-07T03:59:34Z');
  t.equal(k8sMicros(NS), '2026-12-07T03:59:34.726123Z');
  t.equal(rfc3339Nano(NS), '2026-12-07T03:59:34.726123456Z');
  t.equal(rfc3339Nano(NS - 123_456n), '2026-12-07T03:59:34.726Z', 'trailing zeros trimmed');
  t.equal(rfc3339Nano(1_796_615_974_000_000_000n), '2026-12-07T03:59:34Z');
  t.equal(parseRfc3339('2026-12-07T03:59:34.726123456Z'), NS);
  t.equal(parseRfc3339('2026-12-07T03:59:34Z'), 1_796_615_974_000_000_000n);
  t.equal(parseRfc3339('yesterday'), undefined);
});

t.test('RFC 3339 times move and keep their precision', async (t) => {
  const s = 3_600_000_000_000n; // one hour
  t.equal(shiftRfc3339('2026-12-07T03:59:34Z', s), '2026-12-07T04:59:34Z');
  t.equal(shiftRfc3339('2026-12-07T03:59:34.726123Z', s), '2026-12-07T04:59:34.726123Z');
  t.equal(shiftRfc3339('2026-12-07T23:59:59.5Z', 1_000_000_000n), '2026-12-08T00:00:00.5Z');
  t.equal(shiftRfc3339('not a time', s), 'not a time');
  const obj = {
    metadata: {
      creationTimestamp: '2026-12-07T03:59:34Z',
      name: 'frontend-x',
      annotations: { a: '2026-12-07T03:59:34.1Z' },
    },
    list: ['2026-12-07T03:59:34Z', 5, null],
    eventTime: null,
  };
  t.same(shiftJsonTimes(obj, s), {
    metadata: {
      creationTimestamp: '2026-12-07T04:59:34Z',
      name: 'frontend-x',
      annotations: { a: '2026-12-07T04:59:34.1Z' },
    },
    list: ['2026-12-07T04:59:34Z', 5, null],
    eventTime: null,
  });
});

t.test('OTLP/JSON spans and events move', async (t) => {
  const body = JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                name: 'a',
                startTimeUnixNano: '1000',
                endTimeUnixNano: 2000,
                events: [{ timeUnixNano: '1500' }],
              },
            ],
          },
        ],
      },
    ],
  });
  const out = JSON.parse(shiftOtlpJson(body, 10n));
  const span = out.resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(span.startTimeUnixNano, '1010');
  t.equal(span.endTimeUnixNano, '2010');
  t.equal(span.events[0].timeUnixNano, '1510');
});

t.test('access-log lines move by whole seconds', async (t) => {
  const line =
    '127.0.0.1 - - [07/Dec/2026:23:59:34 +0100] "GET /dispatch HTTP/1.1" 200 40 "-" "ua" 254 1.330 [hotrod-frontend-8080] [] ' +
    '127.0.0.2:8080, 127.0.0.3:8080 0, 40 0.000, 1.329 502, 200 060251293cfe914b2627cdf33fc24b72 1796615974.726 -, 0.000 -, 1.329 - - "-" "-"';
  const out = shiftAccessLogLine(line, 3600);
  t.match(out, /\[08\/Dec\/2026:00:59:34 \+0100\]/, 'local time in its own offset, over midnight');
  t.match(out, / 060251293cfe914b2627cdf33fc24b72 1796619574\.726 /, '$msec');
  t.equal(
    out.replace(/\[[^\]]+\]/, '').replace(/ 1796619574\.726 /, ' X '),
    line.replace(/\[[^\]]+\]/, '').replace(/ 1796615974\.726 /, ' X '),
    'nothing else changes',
  );
});
