// The Resource and InstrumentationScope messages, as both encoders write them.
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { KeyEntries } from './key-entry.js';
import { writeKeyValue } from './key-value.js';
import type { Writer } from './protobuf-writer.js';

/** `resource` as a Resource message in `field` (its attributes; its schema URL belongs to ResourceSpans). */
export function writeResource(w: Writer, field: number, resource: Resource, entries: KeyEntries): void {
  const mark = w.begin(field);
  const attrs = resource.attributes;
  for (const key in attrs) writeKeyValue(w, 1, entries.of(key), attrs[key]);
  w.end(mark);
}

/** `scope` as an InstrumentationScope message in `field` (its schema URL belongs to ScopeSpans). */
export function writeScope(w: Writer, field: number, scope: InstrumentationScope): void {
  const mark = w.begin(field);
  if (scope.name) w.string(1, scope.name);
  if (scope.version) w.string(2, scope.version);
  w.end(mark);
}
