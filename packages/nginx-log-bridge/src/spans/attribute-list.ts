import type { Attributes, AttributeValue } from '@opentelemetry/api';

/**
 * Span attributes as two parallel arrays, built with pushes on the hot path (no object shape
 * changes) and read by the OTLP encoder without `for…in`. {@link toAttributes} gives the object
 * form `ReadableSpan.attributes` needs, on demand.
 */
export class AttributeList {
  readonly keys: string[] = [];
  readonly values: AttributeValue[] = [];

  set(key: string, value: AttributeValue): void {
    this.keys.push(key);
    this.values.push(value);
  }

  toAttributes(): Attributes {
    const out: Attributes = {};
    for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = this.values[i];
    return out;
  }
}

/** Where an {@link AttributeList} sits on a span made by the bridge. */
export const kAttributeList = Symbol('crosstrace.attributeList');
