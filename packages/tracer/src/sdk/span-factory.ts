import {
  type Attributes,
  isSpanContextValid,
  type SpanContext as OtelSpanContext,
  type SpanKind,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { TraceFlag } from '../api/trace-flags.js';
import type { CrosstraceSampler } from '../sampling/sampler.js';
import { adoptableCount } from './attributes.js';
import { nextWordPair, randomSpanId, randomTraceId, randomWords } from './ids.js';
import { CrosstraceSpan, type SpanOwner, type SpanReference } from './span.js';
import { CrosstraceSpanContext } from './span-context.js';

/** Everything both APIs need to create a span. */
export interface SpanFactory extends SpanOwner {
  readonly sampler: CrosstraceSampler;
}

/** True for a parent context that can be continued (ours always is, others are checked). */
export function usableParent(ctx: OtelSpanContext | undefined): boolean {
  if (ctx === undefined) return false;
  if (ctx instanceof CrosstraceSpanContext) return ctx.traceId.length === 32;
  return isSpanContextValid(ctx);
}

/**
 * Creates a span: same trace as `parent` (or a new one), a fresh span id, the sampler's decision in
 * the flags. The `random-trace-id` flag (Trace Context Level 2) is set on a trace id generated here
 * (all 16 bytes come from `crypto`) and carried over unchanged from a parent. The hot path of both
 * APIs; allocates the context, the span and its attribute object. `adopt` is an attribute object
 * handed over by the caller (see `ADOPT_ATTRIBUTES`): a recording span keeps it when it is within
 * the limits as it is, and the span's `attributes` is then that object; otherwise the caller copies.
 */
export function createSpan(
  owner: SpanFactory,
  scope: InstrumentationScope,
  name: string,
  parent: OtelSpanContext | undefined,
  kind: SpanKind,
  startMillis: number,
  refs: readonly SpanReference[] | undefined,
  adopt?: Attributes,
): CrosstraceSpan {
  let traceId: string;
  let random: number;
  if (parent === undefined) {
    traceId = randomTraceId();
    random = TraceFlag.Random;
  } else {
    traceId = parent.traceId;
    random = parent.traceFlags & TraceFlag.Random;
  }
  let sampled: boolean;
  try {
    sampled = owner.sampler.sample(traceId, parent, name, kind);
  } catch {
    sampled = false;
  }
  const at = nextWordPair();
  const hi = randomWords[at];
  const lo = randomWords[at + 1];
  const ctx = new CrosstraceSpanContext(
    traceId,
    undefined,
    sampled ? TraceFlag.Sampled | random : random,
    parent?.traceState,
    false,
    parent instanceof CrosstraceSpanContext ? parent.baggage : undefined,
    hi,
    hi === 0 && lo === 0 ? 1 : lo,
  );
  if (adopt !== undefined && sampled) {
    const limits = owner.limits;
    const count = adoptableCount(adopt, limits.attributeCountLimit, limits.attributeValueLengthLimit);
    if (count >= 0) {
      return new CrosstraceSpan(owner, scope, name, ctx, parent, kind, startMillis, refs, true, adopt, count);
    }
  }
  return new CrosstraceSpan(owner, scope, name, ctx, parent, kind, startMillis, refs, sampled);
}

/**
 * The span handed out when starting a span failed: not recording, not sampled, a fresh context
 * (so injecting it is harmless). Every method works and does nothing.
 */
export function nonRecordingSpan(
  owner: SpanFactory,
  scope: InstrumentationScope,
  name: string,
): CrosstraceSpan {
  const ctx = new CrosstraceSpanContext(randomTraceId(), randomSpanId(), TraceFlag.Random, undefined, false);
  return new CrosstraceSpan(
    owner,
    scope,
    String(name),
    ctx,
    undefined,
    0 as SpanKind,
    Date.now(),
    undefined,
    false,
  );
}
