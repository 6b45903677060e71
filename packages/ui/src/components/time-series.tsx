// A small uPlot line chart over time, themed from the page's CSS variables.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import type { TimeZoneMode } from '../model/format.js';
import { chartColors } from './chart-theme.js';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

export function TimeSeries(props: {
  title: string;
  /** ms since the epoch */
  time: number[];
  series: Series[];
  format: (v: number) => string;
  tz: TimeZoneMode;
  theme: string;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = host.current;
    if (node === null) return;
    const c = chartColors();
    const axis = { stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    const plot = new uPlot(
      {
        width: node.clientWidth || 400,
        height: props.height ?? 140,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        tzDate: props.tz === 'utc' ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : undefined,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [axis, { ...axis, size: 60, values: (_u, vals) => vals.map((v) => props.format(v)) }],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            spanGaps: false,
            points: { show: true, size: 4, stroke: s.color, fill: s.color },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : props.format(v)),
          })),
        ],
      },
      [props.time.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      node,
    );
    const ro = new ResizeObserver(() =>
      plot.setSize({ width: node.clientWidth || 400, height: props.height ?? 140 }),
    );
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.time, props.series, props.tz, props.theme]);
  return (
    <figure class="time-series">
      <figcaption>{props.title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
