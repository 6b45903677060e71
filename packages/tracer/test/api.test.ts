import * as contract from '@crosstrace/contract';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import t from 'tap';
import * as api from '../src/api/index.js';
import { contextWithSpan, isLayer, Layer, NonRecordingSpan, NoopTracer } from '../src/api/index.js';
import * as sdk from '../src/index.js';

t.test('Layer enum and isLayer', async (t) => {
  t.same(Layer, { ControlPlane: 'control-plane', Ingress: 'ingress', App: 'app' });
  t.ok(isLayer('ingress'));
  t.notOk(isLayer('database'));
  t.notOk(isLayer(3));
});

t.test('contextWithSpan behaves like trace.setSpan', async (t) => {
  const sc = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
  const ctx = contextWithSpan(ROOT_CONTEXT, new NonRecordingSpan(sc));
  t.equal(trace.getSpanContext(ctx), sc);
  const key = Symbol('k');
  const ctx2 = ctx.setValue(key, 1);
  t.equal(ctx2.getValue(key), 1);
  t.equal(trace.getSpanContext(ctx2), sc, 'lookups walk to the parent');
  t.equal(ctx.getValue(key), undefined, 'immutable');
  t.equal(trace.getSpanContext(trace.deleteSpan(ctx2)), undefined);
});

t.test('NoopTracer returns non-recording spans with an invalid context', async (t) => {
  const tracer = new NoopTracer();
  const span = tracer.startSpan('x');
  t.equal(span.isRecording(), false);
  t.equal(span.setAttribute('a', 1).addEvent('e').setStatus({ code: 2 }).updateName('y'), span);
  t.equal(span.spanContext().traceFlags, 0);
  t.equal(
    tracer.startActiveSpan('z', (s) => s.isRecording()),
    false,
  );
});

t.test('the shared contract is re-exported unchanged by the SDK entry and the api entry', async (t) => {
  const fromSdk = new Map<string, unknown>(Object.entries(sdk));
  const fromApi = new Map<string, unknown>(Object.entries(api));
  const shared = Object.entries(contract);
  for (const [name, value] of shared) {
    t.equal(fromSdk.get(name), value, `@crosstrace/tracer ${name}`);
    t.equal(fromApi.get(name), value, `@crosstrace/tracer/api ${name}`);
  }
  t.equal(shared.length, 7);
});
