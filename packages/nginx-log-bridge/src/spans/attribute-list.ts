import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { AttributeGroup } from './attribute-group.js';
import type { AttributeKey } from './attribute-key.js';

/**
 * Span attributes as one flat array of key, value, key, value…, built with pushes on the hot path
 * (no object shape changes, one array per span) and read by the OTLP encoder without `for…in`.
 * {@link toAttributes} gives the object form `ReadableSpan.attributes` needs, on demand.
 */
export class AttributeList {
  /** Keys at even indexes, each followed by its value. */
  readonly entries: (string | AttributeValue)[] = [];

  /** Adds an attribute by its name. */
  add(name: string, value: AttributeValue): void {
    this.entries.push(name, value);
  }

  set(key: AttributeKey, value: AttributeValue): void {
    this.entries.push(key.name, value);
  }

  setText(key: AttributeKey, value: string, _at: number): void {
    this.entries.push(key.name, value);
  }

  setSlice(key: AttributeKey, source: string, from: number, to: number, _at: number): void {
    this.entries.push(key.name, source.slice(from, to));
  }

  setHeaderText(key: AttributeKey, value: string, _at: number): void {
    this.entries.push(key.name, [value]);
  }

  group(group: AttributeGroup): void {
    const e = group.entries;
    for (let i = 0; i < e.length; i++) this.entries.push(e[i]);
  }

  toAttributes(): Attributes {
    const out: Attributes = {};
    const e = this.entries;
    for (let i = 0; i < e.length; i += 2) out[e[i] as string] = e[i + 1] as AttributeValue;
    return out;
  }
}

/** Where an {@link AttributeList} sits on a span made by the bridge. */
export const kAttributeList = Symbol('crosstrace.attributeList');
