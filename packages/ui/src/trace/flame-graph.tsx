// The trace as a flame graph (time across, depth down), drawn on one canvas. A click finds its
// span by binary search in that depth's spans, sorted once.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { cssVar } from '../components/chart-theme.js';
import { useWidth } from '../components/hooks.js';
import { formatDuration } from '../model/format.js';
import type { Layer, Trace } from '../model/types.js';

const ROW = 18;
const MAX_ROWS = 1500;

function byDepth(trace: Trace): Int32Array[] {
  const lists: number[][] = [];
  for (const s of trace.spans) {
    if (s.depth >= MAX_ROWS) continue;
    if (lists[s.depth] === undefined) lists[s.depth] = [];
    lists[s.depth].push(s.index);
  }
  return lists.map((l) =>
    Int32Array.from(l.sort((a, b) => trace.spans[a].offsetUs - trace.spans[b].offsetUs)),
  );
}

export function FlameGraph(props: {
  trace: Trace;
  selected: number | undefined;
  theme: string;
  onSelect: (j: number) => void;
}) {
  const { trace } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const [tip, setTip] = useState<{ j: number; x: number; y: number } | undefined>();
  const levels = useMemo(() => byDepth(trace), [trace]);
  const height = Math.max(1, levels.length) * ROW;
  const width = useWidth(host);
  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const colors: Record<Layer, string> = {
      ingress: cssVar('--layer-ingress', '#8b5cf6'),
      app: cssVar('--layer-app', '#0ea5e9'),
      'control-plane': cssVar('--layer-control-plane', '#d97706'),
    };
    const err = cssVar('--error', '#dc2626');
    const text = cssVar('--bar-text', '#fff');
    const dur = trace.durationUs || 1;
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    levels.forEach((list, d) => {
      for (const j of list) {
        const s = trace.spans[j];
        const x = (s.offsetUs / dur) * width;
        const w = Math.max(1, (s.durationUs / dur) * width);
        g.fillStyle = s.error ? err : colors[s.layer];
        g.globalAlpha = j === props.selected ? 1 : 0.85;
        g.fillRect(x, d * ROW, w - 0.5, ROW - 1);
        if (j === props.selected) {
          g.strokeStyle = cssVar('--fg', '#111');
          g.lineWidth = 2;
          g.strokeRect(x + 1, d * ROW + 1, w - 2, ROW - 3);
        }
        if (w > 40) {
          g.globalAlpha = 1;
          g.fillStyle = text;
          g.save();
          g.beginPath();
          g.rect(x, d * ROW, w - 2, ROW);
          g.clip();
          g.fillText(`${s.service} ${s.name}`, x + 3, d * ROW + ROW / 2);
          g.restore();
        }
      }
    });
    g.globalAlpha = 1;
  }, [trace, width, levels, props.selected, props.theme]);
  const hit = (e: MouseEvent): number | undefined => {
    const r = canvas.current!.getBoundingClientRect();
    const d = Math.floor((e.clientY - r.top) / ROW);
    const list = levels[d];
    if (!list) return undefined;
    const t = ((e.clientX - r.left) / width) * trace.durationUs;
    let lo = 0;
    let hi = list.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (trace.spans[list[mid]].offsetUs <= t) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let k = at; k >= 0 && k > at - 64; k--) {
      const s = trace.spans[list[k]];
      if (s.offsetUs <= t && t <= s.offsetUs + Math.max(s.durationUs, trace.durationUs / width))
        return list[k];
    }
    return undefined;
  };
  return (
    <div class="flame" ref={host} data-testid="flame-graph">
      <canvas
        ref={canvas}
        style={{ height: `${height}px` }}
        onMouseMove={(e) => {
          const j = hit(e);
          setTip(j === undefined ? undefined : { j, x: e.offsetX, y: e.offsetY });
        }}
        onMouseLeave={() => setTip(undefined)}
        onClick={(e) => {
          const j = hit(e);
          if (j !== undefined) props.onSelect(j);
        }}
      />
      {tip && (
        <div
          class="chart-tip"
          style={{ left: `${Math.min(tip.x + 12, width - 260)}px`, top: `${tip.y + 12}px` }}
        >
          <strong>{trace.spans[tip.j].service}</strong> {trace.spans[tip.j].name}
          <br />
          {formatDuration(trace.spans[tip.j].durationUs)}
        </div>
      )}
    </div>
  );
}
