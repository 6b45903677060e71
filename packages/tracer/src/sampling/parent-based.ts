import { alwaysOffSampler, alwaysOnSampler } from './always.js';
import type { CrosstraceSampler } from './sampler.js';

/** The samplers a {@link parentBasedSampler} delegates to, by the kind of parent. */
export interface ParentBasedOptions {
  /** For root spans (no parent). */
  root: CrosstraceSampler;
  remoteParentSampled?: CrosstraceSampler;
  remoteParentNotSampled?: CrosstraceSampler;
  localParentSampled?: CrosstraceSampler;
  localParentNotSampled?: CrosstraceSampler;
}

/**
 * Follows the parent's sampled flag; roots are decided by `root` (as OpenTelemetry's
 * `ParentBasedSampler`, with the same defaults: sampled parents → on, unsampled → off).
 *
 * @example
 * createTracer({ sampler: parentBasedSampler({ root: traceIdRatioSampler(0.25) }) });
 */
export function parentBasedSampler(options: ParentBasedOptions): CrosstraceSampler {
  const root = options.root;
  const rs = options.remoteParentSampled ?? alwaysOnSampler;
  const rn = options.remoteParentNotSampled ?? alwaysOffSampler;
  const ls = options.localParentSampled ?? alwaysOnSampler;
  const ln = options.localParentNotSampled ?? alwaysOffSampler;
  return {
    sample(traceId, parent, name, kind) {
      if (parent === undefined) return root.sample(traceId, parent, name, kind);
      const sampled = (parent.traceFlags & 1) === 1;
      if (parent.isRemote === true) {
        return (sampled ? rs : rn).sample(traceId, parent, name, kind);
      }
      if (sampled) return ls === alwaysOnSampler || ls.sample(traceId, parent, name, kind);
      return ln !== alwaysOffSampler && ln.sample(traceId, parent, name, kind);
    },
    toString: () => `ParentBased{root=${root.toString()}}`,
  };
}
