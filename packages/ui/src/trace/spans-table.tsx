import { useMemo, useState } from 'preact/hooks';
import { LayerBadge } from '../components/layer-badge.js';
import { VirtualList } from '../components/virtual-list.js';
import { formatDuration } from '../model/format.js';
import type { Trace, TraceSpan } from '../model/types.js';

type Col = 'service' | 'name' | 'offsetUs' | 'durationUs' | 'layer' | 'error';

/** Every span as a sortable table (virtualised). */
export function SpansTable(props: { trace: Trace; onOpen: (j: number) => void }) {
  const [sort, setSort] = useState<{ col: Col; desc: boolean }>({ col: 'offsetUs', desc: false });
  const [filter, setFilter] = useState('');
  const spans = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = f
      ? props.trace.spans.filter(
          (s) => s.service.toLowerCase().includes(f) || s.name.toLowerCase().includes(f),
        )
      : [...props.trace.spans];
    const key = (s: TraceSpan) => (sort.col === 'error' ? Number(s.error) : s[sort.col]);
    list.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -c : c;
    });
    return list;
  }, [props.trace, sort, filter]);
  const th = (col: Col, label: string) => (
    <button
      type="button"
      class="sortable"
      onClick={() =>
        setSort({ col, desc: sort.col === col ? !sort.desc : col !== 'service' && col !== 'name' })
      }
    >
      {label}
      {sort.col === col ? (sort.desc ? ' ▾' : ' ▴') : ''}
    </button>
  );
  return (
    <div class="spans-table" data-testid="spans-table">
      <input
        placeholder="filter by service or operation"
        value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
      />
      <div class="spans-table-row head">
        {th('layer', 'layer')}
        {th('service', 'service')}
        {th('name', 'operation')}
        {th('offsetUs', 'start')}
        {th('durationUs', 'duration')}
        {th('error', 'error')}
      </div>
      <VirtualList
        class="spans-table-body"
        count={spans.length}
        rowHeight={26}
        renderRow={(i) => {
          const s = spans[i];
          return (
            <button type="button" class="spans-table-row" onClick={() => props.onOpen(s.index)}>
              <span>
                <LayerBadge layer={s.layer} />
              </span>
              <span>{s.service}</span>
              <span>{s.name}</span>
              <span class="num">+{formatDuration(s.offsetUs)}</span>
              <span class="num">{formatDuration(s.durationUs)}</span>
              <span class={s.error ? 'error-text' : 'muted'}>{s.error ? 'error' : ''}</span>
            </button>
          );
        }}
      />
    </div>
  );
}
