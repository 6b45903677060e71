import type { CrosstraceSampler } from './sampler.js';

const VALID_TRACE_ID = /^[0-9a-f]{32}$/;
const ZERO = '00000000000000000000000000000000';

/**
 * Samples a fraction of traces, decided from the trace id alone, with the same decision as
 * OpenTelemetry's `TraceIdRatioBasedSampler` (xor of the four 32-bit words < ratio · 2^32−1), so
 * services on both SDKs keep or drop the same traces.
 *
 * @param ratio - 0 … 1 (out-of-range values are clamped, NaN is 0)
 * @example
 * createTracer({ sampler: traceIdRatioSampler(0.1) });
 */
export function traceIdRatioSampler(ratio: number): CrosstraceSampler {
  const r = typeof ratio !== 'number' || Number.isNaN(ratio) ? 0 : ratio >= 1 ? 1 : Math.max(ratio, 0);
  const upperBound = Math.floor(r * 0xffffffff);
  return {
    sample(traceId: string): boolean {
      if (traceId.length !== 32 || traceId === ZERO || !VALID_TRACE_ID.test(traceId)) return false;
      let acc = 0;
      for (let pos = 0; pos < 32; pos += 8)
        acc = (acc ^ Number.parseInt(traceId.slice(pos, pos + 8), 16)) >>> 0;
      return acc < upperBound;
    },
    toString: () => `TraceIdRatioBased{${r}}`,
  };
}
