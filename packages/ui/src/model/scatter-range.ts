// The time window the search page's scatter plot spans, in seconds since the epoch (uPlot's unit).

/** The narrowest window drawn: a lone result sits in the middle of a minute, not of years. */
export const MIN_SCATTER_WINDOW_S = 60;

/** Each side of a wider window gets this share of the results' spread, so no dot sits on an edge. */
const EDGE_PADDING = 0.05;

/**
 * The x-axis range for results starting between `minS` and `maxS` (seconds; `undefined` or
 * non-finite when there are none): the spread padded on both sides, and never narrower than
 * {@link MIN_SCATTER_WINDOW_S}, centred on the results.
 */
export function scatterTimeRange(minS: number | undefined, maxS: number | undefined): [number, number] {
  const lo = Number.isFinite(minS) ? (minS as number) : Number.isFinite(maxS) ? (maxS as number) : undefined;
  const hi = Number.isFinite(maxS) ? (maxS as number) : lo;
  if (lo === undefined || hi === undefined) return [0, MIN_SCATTER_WINDOW_S];
  const spread = Math.max(0, hi - lo);
  const padded = spread * (1 + 2 * EDGE_PADDING);
  const width = Math.max(padded, MIN_SCATTER_WINDOW_S);
  const mid = lo + spread / 2;
  return [mid - width / 2, mid + width / 2];
}
