import type { BridgeCounts } from './metrics.js';

/**
 * The one-line summary printed to stderr at the end of a run:
 * `crosstrace-nginx-bridge summary: lines=9 spans=20 batches=1 bad=1 (format-mismatch=1) …`.
 */
export function formatSummary(counts: BridgeCounts, elapsedMs: number): string {
  const bad = Object.entries(counts.badLines).filter(([, n]) => (n ?? 0) > 0);
  const badTotal = bad.reduce((a, [, n]) => a + (n ?? 0), 0);
  const reasons = bad.length > 0 ? ` (${bad.map(([r, n]) => `${r}=${n}`).join(' ')})` : '';
  const rate = elapsedMs > 0 ? Math.round((counts.lines * 1000) / elapsedMs) : counts.lines;
  return (
    `crosstrace-nginx-bridge summary: lines=${counts.lines} spans=${counts.spans} batches=${counts.batches} ` +
    `bad=${badTotal}${reasons} stderr=${counts.stderrLines} export_failures=${counts.exportFailures} ` +
    `rejected=${counts.rejectedSpans} rotations=${counts.rotations} truncations=${counts.truncations} ` +
    `elapsed=${(elapsedMs / 1000).toFixed(2)}s lines_per_s=${rate}`
  );
}
