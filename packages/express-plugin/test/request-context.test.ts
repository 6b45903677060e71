import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import t from 'tap';
import { RequestContext } from '../src/request-context.js';
import { REQUEST_SCOPE_KEY, type RequestScope, requestScope } from '../src/tracer-source.js';
import { createTestTracer } from './helpers/tracing.js';

const tt = createTestTracer();
t.teardown(() => tt.shutdown());

t.test('a RequestContext carries the span, the request scope and the parent values', async (t) => {
  const other = createContextKey('other');
  const parent = ROOT_CONTEXT.setValue(other, 'from parent');
  const span = tt.provider.getTracer('t').startSpan('server');
  const scope = { requestId: 'r-1' } as unknown as RequestScope;
  const ctx = new RequestContext(parent, span, scope);
  t.equal(trace.getSpan(ctx), span, 'trace.getSpan finds the server span');
  t.equal(requestScope(ctx), scope, 'the request scope');
  t.equal(ctx.getValue(other), 'from parent', 'parent values show through');

  const key = createContextKey('k');
  const child = ctx.setValue(key, 1);
  t.equal(child.getValue(key), 1, 'setValue adds a value');
  t.equal(ctx.getValue(key), undefined, 'and leaves the original unchanged');
  t.equal(trace.getSpan(child), span, 'the span is still visible below');
  const childSpan = tt.provider.getTracer('t').startSpan('child');
  const replaced = trace.setSpan(child, childSpan);
  t.equal(trace.getSpan(replaced), childSpan, 'a child span overrides');
  t.equal(trace.getSpan(child), span, 'without touching the parent');
  t.equal(trace.getSpan(trace.deleteSpan(replaced)), undefined, 'deleteValue removes it');
  t.equal(trace.getSpan(ctx.deleteValue(REQUEST_SCOPE_KEY)), span, 'deleting one key keeps the others');
  t.equal(requestScope(ctx.deleteValue(REQUEST_SCOPE_KEY)), undefined);
  t.equal(ctx.deleteValue(other).getValue(other), undefined, 'a parent value can be deleted');
  childSpan.end();
  span.end();
});
