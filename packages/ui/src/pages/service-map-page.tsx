import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ServiceMapAnswer, ServiceMapEdge, ServiceMapNode, ServiceMetricsAnswer } from '../api/types.js';
import { cssVar } from '../components/chart-theme.js';
import { LayerBadge } from '../components/layer-badge.js';
import { Link } from '../components/link.js';
import { TimeSeries } from '../components/time-series.js';
import { useApp } from '../context.js';
import { formatDurationMs } from '../model/format.js';
import { layoutGraph } from '../model/graph-layout.js';
import { asLayer } from '../model/layers.js';
import { onLinkClick, useLocation } from '../router.js';

const WINDOWS = [
  ['15m', 'Last 15 minutes', 15 * 60e6],
  ['1h', 'Last hour', 3600e6],
  ['6h', 'Last 6 hours', 6 * 3600e6],
  ['24h', 'Last 24 hours', 24 * 3600e6],
  ['7d', 'Last 7 days', 7 * 86400e6],
] as const;

function windowOf(lookback: string, nowUs: number): { start: number; end: number } {
  const w = WINDOWS.find((x) => x[0] === lookback) ?? WINDOWS[1];
  return { start: Math.floor(nowUs - w[2]), end: Math.floor(nowUs) };
}

function pct(n: number): string {
  return `${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`;
}

function MapGraph(props: {
  map: ServiceMapAnswer;
  selected: string | undefined;
  hrefOf: (service: string) => string;
  onClickOf: (service: string) => (e: MouseEvent) => void;
}) {
  const laid = useMemo(
    () =>
      layoutGraph<ServiceMapNode, ServiceMapEdge>(
        props.map.nodes.map((n) => ({
          id: n.service,
          data: n,
          width: Math.max(130, n.service.length * 8 + 40),
          height: 46,
        })),
        props.map.edges.map((e) => ({ from: e.parent, to: e.child, data: e })),
      ),
    [props.map],
  );
  if (laid.nodes.length === 0) return <p class="muted">No spans in this window.</p>;
  return (
    <svg
      class="service-graph"
      data-testid="service-graph"
      viewBox={`0 0 ${laid.width} ${laid.height}`}
      style={{ maxWidth: `${laid.width}px`, minWidth: `${Math.round(laid.width * 0.6)}px` }}
      role="img"
      aria-label="service dependency graph"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      {laid.edges.map((e) => {
        const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
        const mid = e.points[Math.floor(e.points.length / 2)] ?? { x: 0, y: 0 };
        const err = e.data.callCount > 0 ? e.data.errorCount / e.data.callCount : 0;
        return (
          <g
            key={`${e.from}>${e.to}`}
            class={`edge ${err > 0 ? 'edge-error' : ''}`}
            data-testid="service-edge"
          >
            <path d={d} marker-end="url(#arrow)" />
            <text x={mid.x} y={mid.y - 4} text-anchor="middle">
              {e.data.callCount} call{e.data.callCount === 1 ? '' : 's'}
              {err > 0 ? ` · ${pct(err)} err` : ''}
            </text>
          </g>
        );
      })}
      {laid.nodes.map((n) => {
        const layer = asLayer(n.data.layer) ?? 'app';
        const errors = n.data.errorCount > 0;
        return (
          <a
            key={n.id}
            href={props.hrefOf(n.id)}
            onClick={props.onClickOf(n.id)}
            aria-label={`${n.id}: show its metrics`}
            data-testid="service-node"
            data-layer={layer}
            class={`node node-${layer} ${props.selected === n.id ? 'selected' : ''} ${errors ? 'node-error' : ''}`}
          >
            <g transform={`translate(${n.x - n.width / 2}, ${n.y - n.height / 2})`}>
              <title>{`${n.id}: ${n.data.spanCount} spans, ${n.data.errorCount} errors (${layer})`}</title>
              <rect width={n.width} height={n.height} rx="6" />
              <text x="10" y="19" class="node-name">
                {n.id}
              </text>
              <text x="10" y="36" class="node-meta">
                {n.data.spanCount} span{n.data.spanCount === 1 ? '' : 's'}
                {errors ? ` · ${n.data.errorCount} error${n.data.errorCount === 1 ? '' : 's'}` : ''}
              </text>
            </g>
          </a>
        );
      })}
    </svg>
  );
}

function ServiceMetricsPanel(props: { service: string; start: number; end: number }) {
  const { api, settings } = useApp();
  const [m, setM] = useState<ServiceMetricsAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setM(undefined);
    api
      .get<ServiceMetricsAnswer>('/api/crosstrace/service-metrics', {
        service: props.service,
        start: props.start,
        end: props.end,
      })
      .then(setM)
      .catch((e: Error) => setError(e.message));
  }, [props.service, props.start, props.end]);
  const series = useMemo(() => {
    if (!m) return undefined;
    return {
      rate: [{ label: 'requests/s', values: m.requestsPerSecond, color: cssVar('--accent', '#2563eb') }],
      errors: [
        {
          label: 'error %',
          values: m.errorRate.map((v) => (v === null ? null : v * 100)),
          color: cssVar('--error', '#dc2626'),
        },
      ],
      latency: [
        { label: 'p50', values: m.p50, color: cssVar('--layer-app', '#0284c7') },
        { label: 'p95', values: m.p95, color: cssVar('--layer-ingress', '#7c3aed') },
        { label: 'p99', values: m.p99, color: cssVar('--layer-control-plane', '#d97706') },
      ],
    };
  }, [m, settings.theme]);
  return (
    <aside class="metrics-panel" data-testid="service-metrics">
      <h2>
        {props.service}{' '}
        <Link
          href={`/search?service=${encodeURIComponent(props.service)}&lookback=custom&start=${props.start}&end=${props.end}`}
          class="small"
        >
          traces →
        </Link>
      </h2>
      {error && <p class="form-error">{error}</p>}
      {!m && !error && <p class="muted">loading…</p>}
      {m && series && (
        <>
          <p class="muted small">
            {m.requests.reduce((a, b) => a + b, 0)} requests, in buckets of {formatDurationMs(m.stepMs)}
          </p>
          <TimeSeries
            title="Requests per second"
            time={m.time}
            series={series.rate}
            format={(v) => v.toFixed(v < 10 ? 2 : 0)}
            tz={settings.tz}
            theme={settings.theme}
          />
          <TimeSeries
            title="Error rate"
            time={m.time}
            series={series.errors}
            format={(v) => `${v.toFixed(1)}%`}
            tz={settings.tz}
            theme={settings.theme}
          />
          <TimeSeries
            title="Duration p50 / p95 / p99"
            time={m.time}
            series={series.latency}
            format={(v) => formatDurationMs(v)}
            tz={settings.tz}
            theme={settings.theme}
          />
          <table class="data">
            <thead>
              <tr>
                <th>operation</th>
                <th>count</th>
                <th>errors</th>
                <th>p50</th>
                <th>p95</th>
                <th>p99</th>
              </tr>
            </thead>
            <tbody>
              {m.operations.map((o) => (
                <tr key={o.name}>
                  <td>{o.name}</td>
                  <td class="num">{o.count}</td>
                  <td class={`num ${o.errors > 0 ? 'error-text' : ''}`}>{o.errors}</td>
                  <td class="num">{formatDurationMs(o.p50)}</td>
                  <td class="num">{formatDurationMs(o.p95)}</td>
                  <td class="num">{formatDurationMs(o.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </aside>
  );
}

export function ServiceMapPage() {
  const { api, router } = useApp();
  const loc = useLocation(router);
  const lookback = loc.search.get('lookback') ?? '1h';
  const selected = loc.search.get('service') ?? undefined;
  // the window is fixed when the page (or its lookback) changes, so selecting a service reuses it
  const win = useMemo(() => windowOf(lookback, Date.now() * 1000), [lookback]);
  const [map, setMap] = useState<ServiceMapAnswer | undefined>();
  const hrefOf = (s: string) => {
    const q = new URLSearchParams(loc.search);
    if (s === selected) q.delete('service');
    else q.set('service', s);
    return `/map?${q}`;
  };
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setMap(undefined);
    api
      .get<ServiceMapAnswer>('/api/crosstrace/service-map', win)
      .then(setMap)
      .catch((e: Error) => setError(e.message));
  }, [win]);
  return (
    <div class="page map-page">
      <div class="page-head">
        <h1>Service map</h1>
        <select
          value={lookback}
          onChange={(e) => router.setParams({ lookback: (e.target as HTMLSelectElement).value })}
        >
          {WINDOWS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <span class="legend">
          <LayerBadge layer="ingress" /> <LayerBadge layer="app" /> <LayerBadge layer="control-plane" />
          <span class="muted small"> edges: parent → child calls, from stored spans</span>
        </span>
        {map?.truncated && (
          <span class="form-error small">only the newest {map.spans} spans of the window were read</span>
        )}
      </div>
      {error && <p class="form-error">{error}</p>}
      <div class="map-body">
        <div class="map-canvas">
          {map ? (
            <MapGraph
              map={map}
              selected={selected}
              hrefOf={hrefOf}
              onClickOf={(s) => onLinkClick(router, hrefOf(s))}
            />
          ) : (
            !error && <p class="muted">loading…</p>
          )}
        </div>
        {selected && <ServiceMetricsPanel service={selected} start={win.start} end={win.end} />}
      </div>
    </div>
  );
}
