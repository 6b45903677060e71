import { useEffect, useMemo, useState } from 'preact/hooks';
import { LayerCounts } from '../components/layer-badge.js';
import { Link } from '../components/link.js';
import { useApp } from '../context.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import { type DiffNode, diffTraces, flattenDiff } from '../model/trace-diff.js';
import type { Trace } from '../model/types.js';

function TraceCard(props: { trace: Trace; label: string }) {
  const { settings } = useApp();
  const t = props.trace;
  return (
    <div class="compare-card">
      <div class="compare-label">{props.label}</div>
      <Link href={`/trace/${t.traceID}`}>
        <strong>{t.rootService}</strong>: {t.rootName}
      </Link>
      <div class="muted small mono">{t.traceID}</div>
      <div class="trace-facts">
        <span>{formatDuration(t.durationUs)}</span>
        <span>{t.spans.length} spans</span>
        <LayerCounts counts={t.layerCounts} />
        {t.errorCount > 0 && <span class="error-text">{t.errorCount} errors</span>}
        {t.diagnoses.length > 0 && <span class="diag-text">▲ {t.diagnoses.length}</span>}
        <span class="muted">{formatTimestamp(t.startUs, settings.tz)}</span>
      </div>
    </div>
  );
}

function kind(n: DiffNode): string {
  if (n.a === 0) return 'only-b';
  if (n.b === 0) return 'only-a';
  if (n.a !== n.b) return 'changed';
  return 'same';
}

/** Two traces side by side: the union of their call trees, with counts and mean durations on each side. */
export function ComparePage(props: { a: string; b: string }) {
  const { traces } = useApp();
  const [pair, setPair] = useState<{ a?: Trace; b?: Trace; error?: string }>({});
  useEffect(() => {
    setPair({});
    Promise.all([traces.get(props.a), traces.get(props.b)])
      .then(([a, b]) => setPair({ a, b }))
      .catch((e: Error) => setPair({ error: e.message }));
  }, [props.a, props.b]);
  const rows = useMemo(() => (pair.a && pair.b ? flattenDiff(diffTraces(pair.a, pair.b)) : []), [pair]);
  if (pair.error)
    return (
      <div class="page message">
        <h1>Compare</h1>
        <p class="form-error">{pair.error}</p>
      </div>
    );
  if (!pair.a || !pair.b) return <div class="page message muted">loading both traces…</div>;
  const counts = { onlyA: 0, onlyB: 0, changed: 0 };
  for (const r of rows) {
    const k = kind(r);
    if (k === 'only-a') counts.onlyA++;
    else if (k === 'only-b') counts.onlyB++;
    else if (k === 'changed') counts.changed++;
  }
  return (
    <div class="page compare-page" data-testid="compare-page">
      <div class="compare-cards">
        <TraceCard trace={pair.a} label="A" />
        <TraceCard trace={pair.b} label="B" />
      </div>
      <p class="compare-summary">
        <span class="chip only-a">{counts.onlyA} only in A</span>{' '}
        <span class="chip only-b">{counts.onlyB} only in B</span>{' '}
        <span class="chip changed">{counts.changed} with other counts</span>
      </p>
      <table class="data diff-table">
        <thead>
          <tr>
            <th>service / operation (call path)</th>
            <th>spans A</th>
            <th>spans B</th>
            <th>mean A</th>
            <th>mean B</th>
            <th>errors A / B</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((n) => (
            <tr key={n.key} class={`diff-${kind(n)}`} data-testid="diff-row">
              <td>
                <span class="indent-inline" style={{ width: `${Math.min(n.depth, 30) * 14}px` }} />
                <span class={`svc svc-${n.layer}`}>{n.service}</span> {n.operation}
              </td>
              <td class="num">{n.a}</td>
              <td class="num">{n.b}</td>
              <td class="num">{n.a ? formatDuration(n.aMeanUs) : '–'}</td>
              <td class="num">{n.b ? formatDuration(n.bMeanUs) : '–'}</td>
              <td class={`num ${n.errorsA + n.errorsB > 0 ? 'error-text' : ''}`}>
                {n.errorsA} / {n.errorsB}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
