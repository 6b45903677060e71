import { performance } from 'node:perf_hooks';
import type { CrosstraceSampler } from './sampler.js';

/**
 * Samples at most `perSecond` root decisions per second (token bucket refilled continuously,
 * burst of one second), as Jaeger's rate-limiting sampler. Usually the root of a
 * {@link parentBasedSampler} so whole traces are kept.
 *
 * @param perSecond - spans per second (> 0); fractions allowed (0.5 = one every two seconds)
 * @param now - clock in milliseconds (for tests)
 * @example
 * createTracer({ sampler: parentBasedSampler({ root: rateLimitingSampler(100) }) });
 */
export function rateLimitingSampler(
  perSecond: number,
  now: () => number = () => performance.now(),
): CrosstraceSampler {
  const rate = Number.isFinite(perSecond) && perSecond > 0 ? perSecond : 0;
  const max = Math.max(1, rate);
  let balance = max;
  let last = now();
  return {
    sample(): boolean {
      if (rate === 0) return false;
      const t = now();
      balance = Math.min(max, balance + ((t - last) / 1000) * rate);
      last = t;
      if (balance >= 1) {
        balance -= 1;
        return true;
      }
      return false;
    },
    toString: () => `RateLimiting{${rate}}`,
  };
}
