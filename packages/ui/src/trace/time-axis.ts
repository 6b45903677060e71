// The visible time window of a trace page: fractions [a, b] of the trace's duration.
export type Range = [number, number];

/** Position in % of the timeline column for an offset (µs from the trace start). */
export function pct(offsetUs: number, durationUs: number, range: Range): number {
  const d = durationUs || 1;
  return ((offsetUs / d - range[0]) / (range[1] - range[0] || 1)) * 100;
}

/** Tick offsets (µs from the trace start) for the window, about `count` of them. */
export function ticks(durationUs: number, range: Range, count = 5): number[] {
  const a = range[0] * durationUs;
  const b = range[1] * durationUs;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(a + ((b - a) * i) / (count - 1));
  return out;
}

/** Pans by `frac` of the window width, staying inside [0, 1]. */
export function pan(range: Range, frac: number): Range {
  const w = range[1] - range[0];
  const a = Math.min(1 - w, Math.max(0, range[0] + w * frac));
  return [a, a + w];
}

/** Zooms around the window's centre; `factor` < 1 zooms in. */
export function zoom(range: Range, factor: number): Range {
  const c = (range[0] + range[1]) / 2;
  const w = Math.min(1, Math.max(0.001, (range[1] - range[0]) * factor));
  let a = c - w / 2;
  a = Math.min(1 - w, Math.max(0, a));
  return [a, a + w];
}

export function parseRange(v: string | null): Range {
  if (!v) return [0, 1];
  const [a, b] = v.split(',').map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b) || a < 0 || b > 1 || b <= a) return [0, 1];
  return [a, b];
}

export function formatRange(r: Range): string | undefined {
  if (r[0] <= 0 && r[1] >= 1) return undefined;
  return `${r[0].toFixed(4)},${r[1].toFixed(4)}`;
}
