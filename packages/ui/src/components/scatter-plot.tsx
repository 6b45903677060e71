// Search results as dots: start time across, duration up; red for traces with errors. A click
// opens the nearest trace. uPlot draws on canvas, so 1,500 dots cost one draw.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration, formatDurationShort, formatTimestamp, type TimeZoneMode } from '../model/format.js';
import { scatterTimeRange } from '../model/scatter-range.js';
import { chartColors } from './chart-theme.js';

export interface ScatterPoint {
  traceID: string;
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  error: boolean;
  label: string;
}

export function ScatterPlot(props: {
  points: ScatterPoint[];
  tz: TimeZoneMode;
  theme: string;
  onOpen: (traceID: string) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ p: ScatterPoint; x: number; y: number } | undefined>();
  useEffect(() => {
    const node = host.current;
    if (node === null) return;
    const pts = [...props.points].sort((a, b) => a.startUs - b.startUs);
    const xs = pts.map((p) => p.startUs / 1e6);
    const ok = pts.map((p) => (p.error ? null : p.durationUs / 1000));
    const bad = pts.map((p) => (p.error ? p.durationUs / 1000 : null));
    const c = chartColors();
    const axis = { stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    const dots = (color: string) => ({
      stroke: color,
      fill: color,
      paths: () => null,
      points: { show: true, size: 7, stroke: color, fill: color },
    });
    const plot = new uPlot(
      {
        width: node.clientWidth || 800,
        height: 160,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        tzDate: props.tz === 'utc' ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : undefined,
        scales: {
          // from the data: uPlot widens a lone time value to 1,000 days before any range function
          x: { time: true, range: () => scatterTimeRange(xs[0], xs[xs.length - 1]) },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          axis,
          { ...axis, size: 56, values: (_u, vals) => vals.map((v) => formatDurationShort(v * 1000)) },
        ],
        series: [{}, dots(c.ok), dots(c.error)],
        hooks: {
          setScale: [
            (u, key) => {
              if (key === 'x') showTimeWindow(node, u);
            },
          ],
        },
      },
      [xs, ok, bad],
      node,
    );
    showTimeWindow(node, plot);
    const over = plot.over;
    const nearest = (e: MouseEvent): { p: ScatterPoint; x: number; y: number } | undefined => {
      const r = over.getBoundingClientRect();
      const mx = e.clientX - r.left;
      const my = e.clientY - r.top;
      let best: { p: ScatterPoint; x: number; y: number } | undefined;
      let bestD = 12 * 12;
      for (let i = 0; i < pts.length; i++) {
        const x = plot.valToPos(xs[i], 'x');
        const y = plot.valToPos(pts[i].durationUs / 1000, 'y');
        const d = (x - mx) ** 2 + (y - my) ** 2;
        if (d < bestD) {
          bestD = d;
          best = { p: pts[i], x, y };
        }
      }
      return best;
    };
    const onMove = (e: MouseEvent) => setHover(nearest(e));
    const onLeave = () => setHover(undefined);
    const onClick = (e: MouseEvent) => {
      const n = nearest(e);
      if (n) props.onOpen(n.p.traceID);
    };
    over.addEventListener('mousemove', onMove);
    over.addEventListener('mouseleave', onLeave);
    over.addEventListener('click', onClick);
    const ro = new ResizeObserver(() => plot.setSize({ width: node.clientWidth || 800, height: 160 }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.points, props.tz, props.theme]);
  return (
    <div class="scatter" data-testid="scatter">
      <div ref={host} />
      {hover && (
        <div
          class="chart-tip"
          style={{
            left: `${Math.min(hover.x + 70, (host.current?.clientWidth ?? 600) - 280)}px`,
            top: `${hover.y + 10}px`,
          }}
        >
          <strong>{hover.p.label}</strong>
          <br />
          {formatDuration(hover.p.durationUs)} · {formatTimestamp(hover.p.startUs, props.tz)}
        </div>
      )}
    </div>
  );
}

/** The drawn time window, `start,end` in seconds, on the chart's node (the canvas hides it). */
function showTimeWindow(node: HTMLElement, plot: uPlot): void {
  const { min, max } = plot.scales.x;
  if (typeof min === 'number' && typeof max === 'number') node.dataset.timeWindow = `${min},${max}`;
}
