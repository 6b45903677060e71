// Small traces for the model's unit tests.
import { newSpan, type RawSpan } from '../../src/model/types.js';

export function span(over: Partial<RawSpan> & { spanID: string }): RawSpan {
  return newSpan({
    traceID: 'a'.repeat(32),
    parentSpanID: '',
    name: `op-${over.spanID}`,
    kind: 'server',
    startUs: 1_000_000,
    durationUs: 10,
    service: 'svc',
    layer: 'app',
    attributes: [],
    resource: [],
    scope: { name: '', version: '' },
    events: [],
    links: [],
    statusCode: 'UNSET',
    statusMessage: '',
    ...over,
  });
}

export const id = (n: number) => n.toString(16).padStart(16, '0');
