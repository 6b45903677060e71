import type { AttributeValue, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { AttributeGroup } from './attribute-group.js';
import type { AttributeKey } from './attribute-key.js';

/** Where a span's attributes go, one `set` per attribute or `group` per shared run, in order. */
export interface AttributeSink {
  set(key: AttributeKey, value: AttributeValue): void;
  /**
   * A string attribute whose text also sits in the line's bytes from `at` (-1: not known), see
   * LineText: the direct encoder copies those bytes.
   */
  setText(key: AttributeKey, value: string, at: number): void;
  /**
   * {@link setText} of `source.slice(from, to)`, whose text sits in the line's bytes from `at`:
   * the direct encoder copies the bytes without the substring.
   */
  setSlice(key: AttributeKey, source: string, from: number, to: number, at: number): void;
  /** {@link setText} of a header attribute: the value is `[value]`. */
  setHeaderText(key: AttributeKey, value: string, at: number): void;
  group(group: AttributeGroup): void;
}

/**
 * Receives the spans of one line as plain values, in order (the SERVER span, then one CLIENT span
 * per attempt), each as {@link SpanOut.begin}, its attributes, {@link SpanOut.end}: SpanCollector
 * makes `ReadableSpan` objects of them, the direct OTLP encoder writes them straight into the
 * request's bytes (attributes included, as they are set). Ids are bytes in `ids` (valid until the
 * next line): the trace id at IDS_TRACE, the span id at `spanAt`, the parent's at `parentAt`.
 */
export interface SpanOut {
  /** Starts a span; its attributes go to the returned sink until {@link SpanOut.end}. */
  begin(
    name: string,
    kind: SpanKind,
    ids: Uint8Array,
    spanAt: number,
    traceFlags: number,
    /** -1: no parent. */
    parentAt: number,
    parentRemote: boolean,
    startMs: number,
    endMs: number,
    resource: Resource,
  ): AttributeSink;
  /** Ends the span begun last. */
  end(status: SpanStatus): void;
}
