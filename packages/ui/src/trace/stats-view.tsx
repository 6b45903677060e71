import { useMemo, useState } from 'preact/hooks';
import { LayerBadge } from '../components/layer-badge.js';
import { formatDuration } from '../model/format.js';
import { type StatsRow, traceStats } from '../model/trace-stats.js';
import type { Trace } from '../model/types.js';

type Col = keyof Pick<
  StatsRow,
  'service' | 'operation' | 'count' | 'errors' | 'totalUs' | 'selfUs' | 'maxUs'
>;

/** Per service and operation: count, total, self time, average, min, max (jaeger-ui's statistics view). */
export function StatsView(props: { trace: Trace }) {
  const [byService, setByService] = useState(false);
  const [sort, setSort] = useState<{ col: Col; desc: boolean }>({ col: 'totalUs', desc: true });
  const rows = useMemo(() => traceStats(props.trace, { byService }), [props.trace, byService]);
  const sorted = useMemo(() => {
    const out = [...rows];
    out.sort((a, b) => {
      const x = a[sort.col];
      const y = b[sort.col];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -c : c;
    });
    return out;
  }, [rows, sort]);
  const th = (col: Col, label: string) => (
    <th class="sortable" onClick={() => setSort({ col, desc: sort.col === col ? !sort.desc : true })}>
      {label}
      {sort.col === col ? (sort.desc ? ' ▾' : ' ▴') : ''}
    </th>
  );
  // parallel spans' self times add up past the trace's duration: shares are of their sum
  const total = rows.reduce((n, r) => n + r.selfUs, 0) || 1;
  return (
    <div class="table-view" data-testid="stats-view">
      <label class="inline">
        <input
          type="checkbox"
          checked={byService}
          onChange={(e) => setByService((e.target as HTMLInputElement).checked)}
        />{' '}
        group by service only
      </label>
      <table class="data">
        <thead>
          <tr>
            <th>layer</th>
            {th('service', 'service')}
            {!byService && th('operation', 'operation')}
            {th('count', 'count')}
            {th('errors', 'errors')}
            {th('totalUs', 'total')}
            <th>avg</th>
            <th>min</th>
            {th('maxUs', 'max')}
            {th('selfUs', 'self time')}
            <th title="share of the self time of all spans">self time share</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={`${r.service}/${r.operation}`}>
              <td>
                <LayerBadge layer={r.layer} />
              </td>
              <td>{r.service}</td>
              {!byService && <td>{r.operation}</td>}
              <td class="num">{r.count}</td>
              <td class={`num ${r.errors > 0 ? 'error-text' : ''}`}>{r.errors}</td>
              <td class="num">{formatDuration(r.totalUs)}</td>
              <td class="num">{formatDuration(r.totalUs / r.count)}</td>
              <td class="num">{formatDuration(r.minUs)}</td>
              <td class="num">{formatDuration(r.maxUs)}</td>
              <td class="num">{formatDuration(r.selfUs)}</td>
              <td class="num">{((r.selfUs / total) * 100).toFixed(1)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
