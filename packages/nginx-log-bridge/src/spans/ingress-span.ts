import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { type AttributeList, kAttributeList } from './attribute-list.js';
import { SCOPE } from './scope.js';
import { msToHrTime } from './time.js';

const NO_LINKS: never[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** A finished span made from an access-log line: attributes as an {@link AttributeList}, made into an object when asked. */
export class IngressSpan implements ReadableSpan {
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly parentSpanContext: SpanContext | undefined;
  private readonly context: SpanContext;
  readonly [kAttributeList]: AttributeList;
  private attributesObject: Attributes | undefined;

  // Computed when asked (the OTLP encoder never asks): one array less per span.
  get duration(): HrTime {
    return msToHrTime(this.endMs - this.startMs);
  }

  get attributes(): Attributes {
    this.attributesObject ??= this[kAttributeList].toAttributes();
    return this.attributesObject;
  }

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    context: SpanContext,
    parent: SpanContext | undefined,
    private readonly startMs: number,
    private readonly endMs: number,
    readonly status: SpanStatus,
    list: AttributeList,
    readonly resource: Resource,
  ) {
    this[kAttributeList] = list;
    this.context = context;
    this.parentSpanContext = parent;
    this.startTime = msToHrTime(startMs);
    this.endTime = msToHrTime(endMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }
}
