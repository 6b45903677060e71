import { LAYER_ATTRIBUTE, Layer } from '@crosstrace/contract';
import {
  type Span as ApiSpan,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type SpanContext as OtelSpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { Span as OtSpan, type Tracer as OtTracer } from 'opentracing';
import { REF_TYPE_ATTRIBUTE, RefType } from '../api/constants.js';
import type { ResolvedSpanLimits } from '../config/span-limits.js';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';
import { copyLimitedAttributes, limitValueLength, toAttributeValue } from './attributes.js';
import type { CrosstraceSpanContext } from './span-context.js';
import { millisToHrTime, nowMillis, toMillis } from './time.js';

/** What a span needs from the tracer that made it. */
export interface SpanOwner {
  readonly resource: Resource;
  readonly processor: SpanProcessor;
  readonly ot: OtTracer;
  readonly limits: ResolvedSpanLimits;
}

/** One OpenTracing reference kept on a span: its type and the referenced context. */
export interface SpanReference {
  readonly type: RefType;
  readonly context: OtelSpanContext;
}

/**
 * Marks the common case "one ChildOf reference, to the parent": the reference and its link are
 * built from `parentSpanContext` when read, so the hot path allocates nothing for them.
 */
export const CHILD_OF_PARENT: readonly SpanReference[] = Object.freeze([]);

/** The attribute bag of a span: a plain data object that starts with the layer. */
class SpanAttributes {
  [key: string]: AttributeValue | undefined;
  constructor() {
    this[LAYER_ATTRIBUTE] = Layer.App;
  }
}

const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_EVENTS: TimedEvent[] = [];
const KINDS: Record<string, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/** What a span dropped for its limits; made on the first drop. */
interface DropCounts {
  attributes: number;
  events: number;
  links: number;
}

/**
 * One span, three faces: an OpenTracing `Span`, an `@opentelemetry/api` `Span`, and an
 * `@opentelemetry/sdk-trace` `ReadableSpan` once finished, so any OTel `SpanExporter` can
 * export it. Tags and attributes live in one plain object; times are epoch milliseconds and become
 * `HrTime` only when an exporter reads them; links are built from the references on read.
 * Every method is total: bad input is ignored (one diagnostic), nothing is thrown.
 */
export class CrosstraceSpan extends OtSpan implements ApiSpan, ReadableSpan {
  name: string;
  kind: SpanKind;
  readonly parentSpanContext: OtelSpanContext | undefined;
  readonly attributes: Attributes;
  readonly instrumentationScope: InstrumentationScope;
  status: SpanStatus = UNSET_STATUS;
  ended = false;
  /** Epoch milliseconds. */
  startMillis: number;
  /** Epoch milliseconds; equals startMillis until ended. */
  endMillis: number;
  private readonly _ctx: CrosstraceSpanContext;
  private readonly _owner: SpanOwner;
  private readonly _recording: boolean;
  private readonly _refs: readonly SpanReference[] | undefined;
  private _events: TimedEvent[] | undefined = undefined;
  private _links: Link[] | undefined = undefined;
  /** Attribute writes so far, the layer's included: an upper bound of the keys held. */
  private _attributeWrites = 1;
  private _drops: DropCounts | undefined = undefined;

  constructor(
    owner: SpanOwner,
    scope: InstrumentationScope,
    name: string,
    ctx: CrosstraceSpanContext,
    parent: OtelSpanContext | undefined,
    kind: SpanKind,
    startMillis: number,
    refs: readonly SpanReference[] | undefined,
    recording: boolean,
    adopted?: Attributes,
    adoptedCount = 0,
  ) {
    super();
    this._owner = owner;
    this.instrumentationScope = scope;
    this.name = name;
    this._ctx = ctx;
    this.parentSpanContext = parent;
    this.kind = kind;
    this.startMillis = startMillis;
    this.endMillis = startMillis;
    this._refs = refs;
    this._recording = recording;
    if (adopted === undefined) {
      // Built by a constructor, so V8's slack tracking sizes these objects for the tags usually set
      // later: they stay in-object, no separate property store per span.
      this.attributes = new SpanAttributes();
    } else {
      // the caller's attributes, handed over (see ADOPT_ATTRIBUTES) and checked by the factory
      this.attributes = adopted;
      this._attributeWrites = adoptedCount;
    }
  }

  // ------------------------------------------------------------------ ReadableSpan
  /** Attributes discarded for the attribute count limit. */
  get droppedAttributesCount(): number {
    return this._drops?.attributes ?? 0;
  }

  /** Events discarded for the event count limit. */
  get droppedEventsCount(): number {
    return this._drops?.events ?? 0;
  }

  /** Links (OpenTracing references included) discarded for the link count limit. */
  get droppedLinksCount(): number {
    const over = this.referenceCount() - this._owner.limits.linkCountLimit;
    return (this._drops?.links ?? 0) + Math.max(over, 0);
  }

  get startTime(): HrTime {
    return millisToHrTime(this.startMillis);
  }

  get endTime(): HrTime {
    return millisToHrTime(this.endMillis);
  }

  get duration(): HrTime {
    const d = Math.max(0, this.endMillis - this.startMillis);
    const seconds = Math.floor(d / 1e3);
    return [seconds, Math.round((d - seconds * 1e3) * 1e6)];
  }

  get resource(): Resource {
    return this._owner.resource;
  }

  get events(): TimedEvent[] {
    return this._events ?? NO_EVENTS;
  }

  /**
   * Every OpenTracing reference (each with `opentracing.ref_type`), then links added through OTel;
   * at most `linkCountLimit` in all.
   */
  get links(): Link[] {
    const refs = this.references;
    const extra = this._links;
    if (refs.length === 0) return extra ?? [];
    const limits = this._owner.limits;
    const typed = limits.attributePerLinkCountLimit > 0;
    const out: Link[] = [];
    for (let i = 0; i < refs.length && i < limits.linkCountLimit; i++) {
      const ref = refs[i];
      out.push(
        typed
          ? { context: ref.context, attributes: { [REF_TYPE_ATTRIBUTE]: ref.type } }
          : { context: ref.context, attributes: {}, droppedAttributesCount: 1 },
      );
    }
    if (extra !== undefined) for (const l of extra) out.push(l);
    return out;
  }

  private referenceCount(): number {
    const refs = this._refs;
    if (refs === CHILD_OF_PARENT) return this.parentSpanContext === undefined ? 0 : 1;
    return refs === undefined ? 0 : refs.length;
  }

  /** The OpenTracing references of this span, in the order given. */
  get references(): readonly SpanReference[] {
    const refs = this._refs;
    if (refs === CHILD_OF_PARENT) {
      const parent = this.parentSpanContext;
      return parent === undefined ? [] : [{ type: RefType.ChildOf, context: parent }];
    }
    return refs ?? [];
  }

  // ------------------------------------------------------------------ OpenTracing
  override context(): CrosstraceSpanContext {
    return this._ctx;
  }

  override tracer(): OtTracer {
    return this._owner.ot;
  }

  override setOperationName(name: string): this {
    if (typeof name === 'string') this.name = name;
    return this;
  }

  override setBaggageItem(key: string, value: string): this {
    if (typeof key !== 'string' || key === '') {
      reportOnce(ErrorCode.InvalidArgument, 'setBaggageItem: key must be a non-empty string', 'baggage');
      return this;
    }
    this._ctx.baggage = { ...this._ctx.baggage, [key]: String(value) };
    return this;
  }

  override getBaggageItem(key: string): string | undefined {
    return this._ctx.baggage?.[key];
  }

  override setTag(key: string, value: unknown): this {
    if (!this._recording || this.ended) return this;
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') {
      if (typeof key === 'string') {
        if (key === 'error' || key === 'span.kind') this.special(key, value);
        this.store(key, value as string | number | boolean);
        return this;
      }
    }
    const converted = typeof key === 'string' ? toAttributeValue(value) : undefined;
    if (converted === undefined) {
      reportOnce(ErrorCode.InvalidArgument, 'setTag: key must be a string and value defined', 'setTag');
      return this;
    }
    this.store(key, converted);
    return this;
  }

  override addTags(map: { [key: string]: unknown }): this {
    if (map === null || typeof map !== 'object') return this;
    for (const key of Object.keys(map)) this.setTag(key, map[key]);
    return this;
  }

  override log(fields: { [key: string]: unknown }, timestamp?: number): this {
    if (!this._recording || this.ended) return this;
    if (fields === null || typeof fields !== 'object') {
      reportOnce(ErrorCode.InvalidArgument, 'log: fields must be an object', 'log');
      return this;
    }
    const name = typeof fields.event === 'string' ? fields.event : 'log';
    this.pushEvent(name, fields, toMillis(timestamp) ?? nowMillis());
    return this;
  }

  override logEvent(eventName: string, payload: unknown): void {
    this.log({ event: eventName, payload });
  }

  override finish(finishTime?: number): void {
    this.end(finishTime);
  }

  // ------------------------------------------------------------------ OpenTelemetry api Span
  spanContext(): CrosstraceSpanContext {
    return this._ctx;
  }

  setAttribute(key: string, value: AttributeValue): this {
    return this.setTag(key, value);
  }

  setAttributes(attributes: Attributes): this {
    return this.addTags(attributes);
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (!this._recording || this.ended) return this;
    let attributes: Readonly<Record<string, unknown>> | undefined;
    let time = startTime;
    if (
      typeof attributesOrStartTime === 'number' ||
      attributesOrStartTime instanceof Date ||
      Array.isArray(attributesOrStartTime)
    ) {
      time = attributesOrStartTime;
    } else if (attributesOrStartTime !== null && typeof attributesOrStartTime === 'object') {
      attributes = attributesOrStartTime;
    }
    this.pushEvent(String(name), attributes, toMillis(time) ?? nowMillis());
    return this;
  }

  addLink(link: Link): this {
    if (!this._recording || this.ended) return this;
    if (link === null || typeof link !== 'object' || link.context === undefined) {
      reportOnce(ErrorCode.InvalidArgument, 'addLink: link needs a context', 'addLink');
      return this;
    }
    const limits = this._owner.limits;
    const held = this.referenceCount() + (this._links === undefined ? 0 : this._links.length);
    if (held >= limits.linkCountLimit) {
      this.drop('links', limits.linkCountLimit);
      return this;
    }
    const attributes: Attributes = {};
    const given = link.attributes;
    const dropped =
      given === undefined || given === null || typeof given !== 'object'
        ? 0
        : copyLimitedAttributes(
            given,
            attributes,
            limits.attributePerLinkCountLimit,
            limits.attributeValueLengthLimit,
          );
    const kept: Link = {
      context: link.context,
      attributes,
      droppedAttributesCount: (link.droppedAttributesCount ?? 0) + dropped,
    };
    if (this._links === undefined) this._links = [kept];
    else this._links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    if (Array.isArray(links)) for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this._recording || this.ended || status === null || typeof status !== 'object') return this;
    // as in the OTel spec: OK is final, UNSET never overrides
    if (this.status.code === SpanStatusCode.OK) return this;
    if (status.code !== SpanStatusCode.OK && status.code !== SpanStatusCode.ERROR) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: SpanStatusCode.ERROR, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    return this.setOperationName(name);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      reportOnce(ErrorCode.InvalidArgument, 'a span was ended twice; the second end() is ignored', 'end');
      return;
    }
    this.ended = true;
    let end = endTime === undefined ? nowMillis() : toMillis(endTime);
    if (end === undefined) {
      reportOnce(ErrorCode.InvalidArgument, 'finish/end: bad time, using now', 'endTime');
      end = nowMillis();
    }
    this.endMillis = Math.max(end, this.startMillis);
    if (!this._recording) return;
    try {
      this._owner.processor.onEnd(this);
    } catch (err) {
      reportOnce(ErrorCode.InternalError, 'span processor onEnd threw', 'onEnd', err);
    }
  }

  isRecording(): boolean {
    return this._recording && !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    if (!this._recording || this.ended) return;
    const attributes: Record<string, string> = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception !== null && typeof exception === 'object') {
      const e = exception as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      const type = e.code !== undefined ? String(e.code) : e.name;
      if (typeof type === 'string') attributes['exception.type'] = type;
      if (typeof e.message === 'string') attributes['exception.message'] = e.message;
      if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
    }
    this.pushEvent('exception', attributes, toMillis(time) ?? nowMillis());
  }

  // ------------------------------------------------------------------ internals
  /**
   * Sets one attribute within the limits: a new key beyond `attributeCountLimit` is dropped and
   * counted (an existing key is always updated); strings are cut to `attributeValueLengthLimit`.
   */
  private store(key: string, value: AttributeValue): void {
    const attributes = this.attributes;
    const limits = this._owner.limits;
    // Fewer writes than the limit means fewer keys: no lookup. Past it, the keys are counted.
    if (this._attributeWrites < limits.attributeCountLimit) this._attributeWrites++;
    else if (attributes[key] === undefined && Object.keys(attributes).length >= limits.attributeCountLimit) {
      this.drop('attributes', limits.attributeCountLimit);
      return;
    }
    const max = limits.attributeValueLengthLimit;
    attributes[key] =
      typeof value === 'string'
        ? value.length > max
          ? limitValueLength(value, max)
          : value
        : typeof value === 'object' && max !== Number.POSITIVE_INFINITY
          ? limitValueLength(value, max)
          : value;
  }

  /** Counts one item dropped for a limit; one diagnostic per kind, not per span or item. */
  private drop(what: keyof DropCounts, limit: number): void {
    this._drops ??= { attributes: 0, events: 0, links: 0 };
    this._drops[what]++;
    reportOnce(
      ErrorCode.SpanLimitExceeded,
      `span limits: ${what} beyond ${limit} per span are dropped (counted in dropped${what[0].toUpperCase()}${what.slice(1)}Count)`,
      what,
    );
  }

  /** Adds an event within `eventCountLimit`, its attributes within `attributePerEventCountLimit`. */
  private pushEvent(
    name: string,
    source: Readonly<Record<string, unknown>> | undefined,
    millis: number,
  ): void {
    const limits = this._owner.limits;
    const events = this._events;
    if ((events === undefined ? 0 : events.length) >= limits.eventCountLimit) {
      this.drop('events', limits.eventCountLimit);
      return;
    }
    const attributes: Attributes = {};
    const dropped =
      source === undefined
        ? 0
        : copyLimitedAttributes(
            source,
            attributes,
            limits.attributePerEventCountLimit,
            limits.attributeValueLengthLimit,
          );
    const event: TimedEvent = {
      name,
      attributes,
      time: millisToHrTime(millis),
      droppedAttributesCount: dropped,
    };
    if (events === undefined) this._events = [event];
    else events.push(event);
  }

  private special(key: string, value: unknown): void {
    if (key === 'error') {
      if (value === true || value === 'true') this.status = { code: SpanStatusCode.ERROR };
    } else if (typeof value === 'string') {
      const kind = KINDS[value.toLowerCase()];
      if (kind !== undefined) this.kind = kind;
    }
  }
}
