/** The defaults of the stitching processor's options (the collector's config schema uses them too). */
export const STITCHING_DEFAULTS = Object.freeze({
  /** clock-skew tolerance of the heuristic join (ms) */
  toleranceMs: 20,
  /** longest upstream attempt the heuristic looks back for (ms) */
  maxAttemptMs: 60_000,
  /** most spans one store search returns */
  searchLimit: 5000,
  /** attempts and app root spans kept in memory */
  indexSpans: 50_000,
  /** spans that started this long before the newest are dropped from memory (ms) */
  indexHorizonMs: 600_000,
});
