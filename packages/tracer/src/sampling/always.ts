import type { CrosstraceSampler } from './sampler.js';

/** Samples every span. */
export const alwaysOnSampler: CrosstraceSampler = Object.freeze({
  sample: () => true,
  toString: () => 'AlwaysOnSampler',
});

/** Samples no span (context still propagates). */
export const alwaysOffSampler: CrosstraceSampler = Object.freeze({
  sample: () => false,
  toString: () => 'AlwaysOffSampler',
});
