import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import t from 'tap';
import { ErrorCode, resetDiagnostics, setDiagnosticHandler } from '../src/index.js';
import { memoryTracer } from './helpers/tracer.js';

t.test('bad arguments never throw; each kind reports one diagnostic', async (t) => {
  resetDiagnostics();
  const codes: string[] = [];
  const prev = setDiagnosticHandler((e) => codes.push(`${e.code}`));
  t.teardown(() => setDiagnosticHandler(prev));
  const { tracer, exporter } = memoryTracer();
  const bad: unknown[] = [undefined, null, 42, {}, [], 'x', () => 1, Symbol('s')];
  t.doesNotThrow(() => {
    for (const b of bad) {
      const span = tracer.startSpan(b as string, {
        childOf: b as never,
        references: [b as never],
        startTime: b as never,
      });
      span.setTag(b as string, b);
      span.addTags(b as never);
      span.log(b as never, b as never);
      span.setBaggageItem(b as string, b as string);
      span.getBaggageItem(b as string);
      span.setOperationName(b as string);
      span.addEvent(b as string, b as never, b as never);
      span.addLink(b as never);
      span.addLinks(b as never);
      span.setStatus(b as never);
      span.recordException(b as never, b as never);
      span.setAttributes(b as never);
      tracer.inject(b as never, b as string, b);
      tracer.inject(span, 'unknown-format', {});
      tracer.extract(b as string, b);
      tracer.extract('http_headers', b);
      span.finish(b as never);
      span.finish();
      trace
        .getTracer('x')
        .startSpan(b as string, b as never, b as never)
        .end(b as never);
      trace.getTracer('x').startActiveSpan(b as string, b as never);
    }
  });
  t.equal(codes.filter((c) => c === ErrorCode.InvalidArgument).length <= 20, true, 'bounded, not per call');
  t.ok(codes.includes(ErrorCode.InvalidArgument));
  t.ok(codes.includes(ErrorCode.UnsupportedFormat));
  t.ok(exporter.getFinishedSpans().length >= bad.length, 'spans still work');
  t.equal(context.active(), ROOT_CONTEXT);
  await tracer.shutdown();
});

t.test('a throwing processor or diagnostic handler does not reach user code', async (t) => {
  const prev = setDiagnosticHandler(() => {
    throw new Error('handler boom');
  });
  t.teardown(() => setDiagnosticHandler(prev));
  const { tracer } = memoryTracer({
    processor: {
      onStart() {
        throw new Error('start boom');
      },
      onEnd() {
        throw new Error('end boom');
      },
      forceFlush: async () => {
        throw new Error('flush boom');
      },
      shutdown: async () => {
        throw new Error('shutdown boom');
      },
    },
  });
  t.doesNotThrow(() => tracer.startSpan('x').finish());
  t.doesNotThrow(() => trace.getTracer('y').startSpan('y').end());
  await t.resolves(tracer.forceFlush());
  await t.resolves(tracer.shutdown());
});
