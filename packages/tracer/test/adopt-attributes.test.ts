import {
  type Attributes,
  ROOT_CONTEXT,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
} from '@opentelemetry/api';
import t from 'tap';
import { ADOPT_ATTRIBUTES } from '../src/api/index.js';
import { type CrosstraceSpan, LAYER_ATTRIBUTE } from '../src/index.js';
import { memoryTracer } from './helpers/tracer.js';

// startSpan({ attributes, [ADOPT_ATTRIBUTES]: true }): the span keeps the caller's object when that
// gives exactly what copying it gives, and copies it otherwise.

function start(attributes: Attributes, options: Parameters<typeof memoryTracer>[0] = {}, adopt = true) {
  const { tracer, exporter } = memoryTracer({ registerGlobal: false, ...options });
  const otel = tracer.provider.getTracer('adopt-test');
  const spanOptions = { kind: SpanKind.SERVER, attributes, ...(adopt ? { [ADOPT_ATTRIBUTES]: true } : {}) };
  const span = otel.startSpan('GET', spanOptions as SpanOptions, ROOT_CONTEXT) as CrosstraceSpan;
  return { span, exporter };
}

const plain = () => ({
  [LAYER_ATTRIBUTE]: 'app',
  'http.request.method': 'GET',
  'server.port': 8080,
  ids: ['a', null],
});

t.test(
  'a handed-over object within the limits becomes the span attributes, with the same content',
  async (t) => {
    const attributes: Attributes = plain();
    const { span, exporter } = start(attributes);
    t.equal(span.attributes, attributes);
    span.setAttribute('http.response.status_code', 200);
    span.end();
    const copied = start(plain(), {}, false).span;
    copied.setAttribute('http.response.status_code', 200);
    t.not(copied.attributes, attributes);
    t.strictSame({ ...exporter.getFinishedSpans()[0].attributes }, { ...copied.attributes });
    t.strictSame(Object.keys(span.attributes), Object.keys(copied.attributes));
  },
);

t.test('copied, as without the key, when keeping it would differ from a copy', async (t) => {
  const cases: [string, Attributes, Parameters<typeof memoryTracer>[0]][] = [
    ['no layer attribute', { 'http.request.method': 'GET' }, {}],
    ['an undefined value', { ...plain(), 'user_agent.original': undefined }, {}],
    ['an object value', { ...plain(), bad: { a: 1 } as never }, {}],
    ['an error tag', { ...plain(), error: true }, {}],
    ['a span.kind tag', { ...plain(), 'span.kind': 'client' }, {}],
    ['a string over the length limit', plain(), { spanLimits: { attributeValueLengthLimit: 2 } }],
    ['more attributes than the count limit', plain(), { spanLimits: { attributeCountLimit: 3 } }],
    ['an unsampled span', plain(), { sampler: 'always_off' }],
  ];
  for (const [name, attributes, options] of cases) {
    const { span } = start(attributes, options);
    t.not(span.attributes, attributes, name);
    const copy = start({ ...attributes }, options, false).span;
    t.strictSame({ ...span.attributes }, { ...copy.attributes }, name);
  }
  const err = start({ ...plain(), error: true }).span;
  t.equal(err.status.code, SpanStatusCode.ERROR, 'the error tag still sets the status');
});

t.test('an object with another prototype is copied', async (t) => {
  const attributes = Object.assign(Object.create({ inherited: 'x' }), plain()) as Attributes;
  const { span } = start(attributes);
  t.not(span.attributes, attributes);
  t.equal(span.attributes.inherited, undefined);
});
