import { CrosstraceTracerError, ErrorCode } from '../errors.js';
import { alwaysOffSampler, alwaysOnSampler } from './always.js';
import { parentBasedSampler } from './parent-based.js';
import { rateLimitingSampler } from './rate-limiting.js';
import type { CrosstraceSampler } from './sampler.js';
import { traceIdRatioSampler } from './trace-id-ratio.js';

/** Sampler names accepted in `OTEL_TRACES_SAMPLER` and by {@link createSampler}. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'ratelimiting',
  'parentbased_ratelimiting',
] as const;

function ratio(arg: string | undefined): number {
  if (arg === undefined || arg.trim() === '') return 1;
  const n = Number(arg);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `OTEL_TRACES_SAMPLER_ARG: ratio must be 0…1, got "${arg}"`,
    );
  }
  return n;
}

function perSecond(arg: string | undefined): number {
  if (arg === undefined || arg.trim() === '') return 100;
  const n = Number(arg);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `OTEL_TRACES_SAMPLER_ARG: rate must be > 0, got "${arg}"`,
    );
  }
  return n;
}

/**
 * Builds a sampler from its `OTEL_TRACES_SAMPLER` name and `OTEL_TRACES_SAMPLER_ARG`. Throws a
 * `CT_TRACER_INVALID_CONFIG` error naming the option for an unknown name or bad argument (start-up
 * only).
 *
 * @example
 * createSampler('parentbased_traceidratio', '0.1');
 */
export function createSampler(name: string, arg?: string): CrosstraceSampler {
  switch (name.trim().toLowerCase()) {
    case 'always_on':
      return alwaysOnSampler;
    case 'always_off':
      return alwaysOffSampler;
    case 'traceidratio':
      return traceIdRatioSampler(ratio(arg));
    case 'parentbased_always_on':
      return parentBasedSampler({ root: alwaysOnSampler });
    case 'parentbased_always_off':
      return parentBasedSampler({ root: alwaysOffSampler });
    case 'parentbased_traceidratio':
      return parentBasedSampler({ root: traceIdRatioSampler(ratio(arg)) });
    case 'ratelimiting':
      return rateLimitingSampler(perSecond(arg));
    case 'parentbased_ratelimiting':
      return parentBasedSampler({ root: rateLimitingSampler(perSecond(arg)) });
    default:
      throw new CrosstraceTracerError(
        ErrorCode.InvalidConfig,
        `OTEL_TRACES_SAMPLER: unknown sampler "${name}" (one of ${SAMPLER_NAMES.join(', ')})`,
      );
  }
}
