import {
  type TraceState as ApiTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { TraceState as OtelTraceState } from '@opentelemetry/core';
import t from 'tap';
import { TraceFlag, W3CTraceContextPropagator } from '../src/index.js';

// W3C Trace Context levels 1 and 2 on the propagator, rule by rule from the specification's text
// ("traceparent Header Field Values", "Versioning of traceparent", "Tracestate Header", the
// processing model). The same rules through a real Express server: the express-plugin's
// test/w3c-trace-context.test.ts.

const TRACE = '12345678901234567890123456789012';
const SPAN = '1234567890123456';
const VALID = `00-${TRACE}-${SPAN}-01`;
const propagator = new W3CTraceContextPropagator();

type Carrier = Record<string, string | string[]>;

function extract(carrier: Carrier) {
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
}

function roundTrip(carrier: Carrier): Record<string, string> {
  const out: Record<string, string> = {};
  propagator.inject(
    propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter),
    out,
    defaultTextMapSetter,
  );
  return out;
}

t.test('version-00 traceparent: exactly 55 characters, lowercase hex, dashes in place', async (t) => {
  const sc = extract({ traceparent: VALID });
  t.same([sc?.traceId, sc?.spanId, sc?.traceFlags, sc?.isRemote], [TRACE, SPAN, 1, true]);
  const rejected: Record<string, string> = {
    'trailing character': `${VALID}.`,
    'extra field': `${VALID}-what-the-future-will-be-like`,
    'version illegal characters': `.0-${TRACE}-${SPAN}-01`,
    'version illegal characters 2': `0.-${TRACE}-${SPAN}-01`,
    'version too long': `000-${TRACE}-${SPAN}-01`,
    'version too short': `0-${TRACE}-${SPAN}-01`,
    'version ff': `ff-${TRACE}-${SPAN}-01`,
    'trace-id illegal characters': `00-.${TRACE.slice(1)}-${SPAN}-01`,
    'trace-id uppercase': `00-${TRACE.replace('1', 'A')}-${SPAN}-01`.replace('12345', 'ABCDE'),
    'trace-id too long': `00-${TRACE}3-${SPAN}-01`,
    'trace-id too short': `00-${TRACE.slice(1)}-${SPAN}-01`,
    'trace-id all zero': `00-${'0'.repeat(32)}-${SPAN}-01`,
    'parent-id illegal characters': `00-${TRACE}-.${SPAN.slice(1)}-01`,
    'parent-id too long': `00-${TRACE}-${SPAN}7-01`,
    'parent-id too short': `00-${TRACE}-${SPAN.slice(1)}-01`,
    'parent-id all zero': `00-${TRACE}-${'0'.repeat(16)}-01`,
    'flags illegal characters': `00-${TRACE}-${SPAN}-.0`,
    'flags uppercase': `00-${TRACE}-${SPAN}-0A`,
    'flags too long': `00-${TRACE}-${SPAN}-001`,
    'flags too short': `00-${TRACE}-${SPAN}-1`,
    'wrong delimiter': `00_${TRACE}-${SPAN}-01`,
    empty: '',
  };
  for (const [name, header] of Object.entries(rejected)) {
    t.equal(extract({ traceparent: header }), undefined, `${name}: restart the trace`);
  }
});

t.test('traceparent: spaces and tabs around the value are optional whitespace', async (t) => {
  for (const header of [` ${VALID}`, `\t${VALID}`, `${VALID} `, `${VALID}\t`, `\t ${VALID} \t`]) {
    t.equal(extract({ traceparent: header })?.traceId, TRACE, JSON.stringify(header));
  }
});

t.test('traceparent: a repeated header is ambiguous and restarts the trace', async (t) => {
  const other = `00-${TRACE.replace(/2$/, '1')}-${SPAN}-01`;
  t.equal(extract({ traceparent: [VALID, other] }), undefined, 'two fields');
  t.equal(extract({ traceparent: `${VALID}, ${other}` }), undefined, "node's ', ' join");
  t.equal(extract({ traceparent: [VALID] })?.traceId, TRACE, 'one field in an array');
});

t.test('higher versions: parsed as 00 when the fields after the flags start with a dash', async (t) => {
  t.equal(extract({ traceparent: `cc-${TRACE}-${SPAN}-01` })?.traceId, TRACE);
  t.equal(extract({ traceparent: `cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like` })?.traceId, TRACE);
  t.equal(extract({ traceparent: `cc-${TRACE}-${SPAN}-01.what-the-future-will-be-like` }), undefined);
  t.equal(extract({ traceparent: `cc-${TRACE}-${SPAN}-0` }), undefined, 'shorter than 55: restart');
  t.equal(extract({ traceparent: `fe-${TRACE}-${SPAN}-01-x` })?.spanId, SPAN, 'fe is the highest version');
  const out = roundTrip({ traceparent: `cc-${TRACE}-${SPAN}-03-future`, tracestate: 'foo=1' });
  t.same(out, { traceparent: `00-${TRACE}-${SPAN}-03`, tracestate: 'foo=1' }, 'downgraded to 00');
});

t.test('trace-flags: sampled and random-trace-id are kept, reserved bits are set to zero', async (t) => {
  for (const [flags, kept] of [
    ['00', 0],
    ['01', TraceFlag.Sampled],
    ['02', TraceFlag.Random],
    ['03', TraceFlag.Sampled | TraceFlag.Random],
    ['04', 0],
    ['ff', 3],
  ] as const) {
    t.equal(extract({ traceparent: `00-${TRACE}-${SPAN}-${flags}` })?.traceFlags, kept, `flags ${flags}`);
    t.equal(roundTrip({ traceparent: `00-${TRACE}-${SPAN}-${flags}` }).traceparent.slice(-2), `0${kept}`);
  }
  t.equal(
    extract({ traceparent: `cc-${TRACE}-${SPAN}-06-x` })?.traceFlags,
    TraceFlag.Random,
    'higher version too',
  );
});

t.test('header names are case-insensitive; only traceparent and tracestate are read', async (t) => {
  const getter = {
    keys: (c: Carrier) => Object.keys(c),
    get: (c: Carrier, key: string) => {
      const k = Object.keys(c).find((x) => x.toLowerCase() === key);
      return k === undefined ? undefined : c[k];
    },
  };
  const ctx = propagator.extract(ROOT_CONTEXT, { TrAcEpArEnT: VALID, TRACESTATE: 'foo=1' }, getter);
  t.equal(trace.getSpanContext(ctx)?.traceState?.get('foo'), '1');
  t.equal(extract({ 'trace-parent': VALID }), undefined);
  t.equal(extract({ 'trace.parent': VALID }), undefined);
  t.equal(extract({ traceparent: VALID, 'trace-state': 'foo=1' })?.traceState, undefined);
  t.same(propagator.fields(), ['traceparent', 'tracestate']);
});

t.test('tracestate: only with a valid traceparent; a bad one never affects the traceparent', async (t) => {
  t.equal(extract({ tracestate: 'foo=1' }), undefined, 'without traceparent: discarded');
  t.equal(extract({ traceparent: `00-${'0'.repeat(32)}-${SPAN}-01`, tracestate: 'foo=1' }), undefined);
  for (const bad of ['foo=bar=baz', 'foo=,bar=3', '@foo=1,bar=2', `${'z'.repeat(257)}=1`]) {
    const sc = extract({ traceparent: VALID, tracestate: bad });
    t.equal(sc?.traceId, TRACE, `traceparent kept: ${bad.slice(0, 20)}`);
    t.equal(sc?.traceState, undefined, 'the whole tracestate discarded');
    t.same(roundTrip({ traceparent: VALID, tracestate: bad }), { traceparent: VALID }, 'nothing sent');
  }
});

t.test('tracestate: kept and sent on as received, fields combined', async (t) => {
  t.same(roundTrip({ traceparent: VALID, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' }), {
    traceparent: VALID,
    tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
  });
  t.same(roundTrip({ traceparent: VALID, tracestate: ['foo=1', 'bar=2'] }).tracestate, 'foo=1,bar=2');
  t.same(
    roundTrip({ traceparent: VALID, tracestate: 'foo@=1,foo@@bar=2,foo@bar@baz=3' }).tracestate,
    'foo@=1,foo@@bar=2,foo@bar@baz=3',
  );
  t.same(roundTrip({ traceparent: VALID, tracestate: '' }), { traceparent: VALID }, 'empty: nothing sent');
  const members = Array.from({ length: 33 }, (_, i) => `k${i}=${i}`);
  t.equal(
    roundTrip({ traceparent: VALID, tracestate: members.slice(0, 32).join(',') }).tracestate?.split(',')
      .length,
    32,
  );
  t.same(
    roundTrip({ traceparent: VALID, tracestate: members.join(',') }),
    { traceparent: VALID },
    '33: discarded',
  );
});

t.test("inject: another implementation's tracestate is checked before it is sent", async (t) => {
  const span = (state: ApiTraceState) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: state });
  const handMade = (header: string): ApiTraceState => ({
    get: () => undefined,
    set: () => handMade(header),
    unset: () => handMade(header),
    serialize: () => header,
  });
  for (const bad of ['Bad=1', 'foo=1,,bar=a=b', `${'k'.repeat(300)}=1`]) {
    const out: Record<string, string> = {};
    propagator.inject(span(handMade(bad)), out, defaultTextMapSetter);
    t.same(out, { traceparent: VALID }, `not sent: ${bad.slice(0, 20)}`);
  }
  const ok: Record<string, string> = {};
  propagator.inject(span(new OtelTraceState('foo=1,bar=2')), ok, defaultTextMapSetter);
  t.equal(ok.tracestate, 'foo=1,bar=2', "OpenTelemetry core's state is sent");
});

t.test('inject: nothing for an invalid or absent span context', async (t) => {
  const out: Record<string, string> = {};
  propagator.inject(ROOT_CONTEXT, out, defaultTextMapSetter);
  propagator.inject(
    trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 }),
    out,
    defaultTextMapSetter,
  );
  t.same(out, {});
});
