import { type Sampler as OtelSampler, ROOT_CONTEXT, SamplingDecision, trace } from '@opentelemetry/api';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';
import type { CrosstraceSampler } from './sampler.js';

/** True for an `@opentelemetry/api` `Sampler` (has `shouldSample`). */
export function isOtelSampler(value: unknown): value is OtelSampler {
  return typeof (value as OtelSampler | null)?.shouldSample === 'function';
}

/** Adapts an OpenTelemetry `Sampler`; `RECORD_AND_SAMPLED` samples, anything else does not. */
export function fromOtelSampler(sampler: OtelSampler): CrosstraceSampler {
  return {
    sample(traceId, parent, name, kind) {
      try {
        const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
        return (
          sampler.shouldSample(ctx, traceId, name, kind, {}, []).decision ===
          SamplingDecision.RECORD_AND_SAMPLED
        );
      } catch (err) {
        reportOnce(ErrorCode.InternalError, 'sampler threw; the span is not sampled', 'sampler', err);
        return false;
      }
    },
    toString: () => sampler.toString(),
  };
}
