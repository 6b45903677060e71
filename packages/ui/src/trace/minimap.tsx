// The trace's overview on canvas: one band per layer (span density over time), errors as red
// ticks, diagnoses as ▲. Drawn once per trace, size and theme; dragging only redraws the small
// overlay canvas that shows the zoomed window.
import { useEffect, useRef, useState } from 'preact/hooks';
import { cssVar } from '../components/chart-theme.js';
import { useWidth } from '../components/hooks.js';
import { LAYER_LABEL } from '../model/layers.js';
import { LAYERS, type Layer, type Trace } from '../model/types.js';

const BAND = 14;
const GAP = 2;
const LABEL_W = 40;
export const MINIMAP_HEIGHT = LAYERS.length * (BAND + GAP) + 10;

/** Control-plane facts drawn in the CTRL band (the pods a request went to), µs from the trace start. */
export interface MinimapFact {
  offsetUs: number;
  durationUs: number;
}

function drawBase(
  canvas: HTMLCanvasElement,
  trace: Trace,
  width: number,
  facts: readonly MinimapFact[],
): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(MINIMAP_HEIGHT * dpr);
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, width, MINIMAP_HEIGHT);
  const plotW = Math.max(10, width - LABEL_W);
  const dur = trace.durationUs || 1;
  const colors: Record<Layer, string> = {
    ingress: cssVar('--layer-ingress', '#8b5cf6'),
    app: cssVar('--layer-app', '#0ea5e9'),
    'control-plane': cssVar('--layer-control-plane', '#d97706'),
  };
  const cols = Math.ceil(plotW);
  const density: Record<Layer, Int32Array> = {
    ingress: new Int32Array(cols + 1),
    app: new Int32Array(cols + 1),
    'control-plane': new Int32Array(cols + 1),
  };
  for (const s of trace.spans) {
    const a = Math.floor((s.offsetUs / dur) * cols);
    const b = Math.min(cols, Math.max(a + 1, Math.ceil(((s.offsetUs + s.durationUs) / dur) * cols)));
    const d = density[s.layer];
    d[Math.max(0, a)]++;
    d[b]--;
  }
  g.font = '10px system-ui, sans-serif';
  g.textBaseline = 'middle';
  LAYERS.forEach((layer, li) => {
    const y = li * (BAND + GAP);
    g.fillStyle = cssVar('--bg-subtle', '#f3f4f6');
    g.fillRect(LABEL_W, y, plotW, BAND);
    g.fillStyle = colors[layer];
    g.fillText(LAYER_LABEL[layer], 2, y + BAND / 2);
    const d = density[layer];
    let max = 0;
    let run = 0;
    const active = new Int32Array(cols);
    for (let x = 0; x < cols; x++) {
      run += d[x];
      active[x] = run;
      if (run > max) max = run;
    }
    if (max === 0) return;
    for (let x = 0; x < cols; x++) {
      if (active[x] <= 0) continue;
      const h = Math.max(2, (Math.log1p(active[x]) / Math.log1p(max)) * BAND);
      g.fillRect(LABEL_W + x, y + BAND - h, 1, h);
    }
  });
  const ctrlY = LAYERS.indexOf('control-plane') * (BAND + GAP);
  g.fillStyle = colors['control-plane'];
  for (const f of facts) {
    const a = Math.max(0, f.offsetUs / dur);
    const b = Math.min(1, (f.offsetUs + f.durationUs) / dur);
    if (b < 0 || a > 1) continue;
    g.globalAlpha = f.durationUs > 0 ? 0.45 : 1;
    g.fillRect(LABEL_W + a * plotW, ctrlY + 2, Math.max(2, (b - a) * plotW), BAND - 4);
  }
  g.globalAlpha = 1;
  g.fillStyle = cssVar('--error', '#dc2626');
  for (const s of trace.spans) {
    if (!s.error) continue;
    const li = LAYERS.indexOf(s.layer);
    g.fillRect(LABEL_W + (s.offsetUs / dur) * plotW, li * (BAND + GAP), 1.5, 5);
  }
  const bottom = LAYERS.length * (BAND + GAP);
  g.fillStyle = cssVar('--diagnosis', '#e11d48');
  for (const d of trace.diagnoses) {
    const s = trace.spans[d.spanIndex];
    const x = LABEL_W + (s.offsetUs / dur) * plotW;
    g.beginPath();
    g.moveTo(x, bottom);
    g.lineTo(x - 4, bottom + 8);
    g.lineTo(x + 4, bottom + 8);
    g.closePath();
    g.fill();
  }
}

function drawOverlay(
  canvas: HTMLCanvasElement,
  width: number,
  range: [number, number],
  drag?: [number, number],
) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(MINIMAP_HEIGHT * dpr);
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const plotW = Math.max(10, width - LABEL_W);
  g.fillStyle = cssVar('--minimap-shade', 'rgba(0,0,0,0.25)');
  const a = LABEL_W + range[0] * plotW;
  const b = LABEL_W + range[1] * plotW;
  g.fillRect(LABEL_W, 0, a - LABEL_W, MINIMAP_HEIGHT);
  g.fillRect(b, 0, LABEL_W + plotW - b, MINIMAP_HEIGHT);
  if (drag) {
    g.fillStyle = cssVar('--selection', 'rgba(37,99,235,0.25)');
    const x0 = LABEL_W + Math.min(drag[0], drag[1]) * plotW;
    const x1 = LABEL_W + Math.max(drag[0], drag[1]) * plotW;
    g.fillRect(x0, 0, Math.max(1, x1 - x0), MINIMAP_HEIGHT);
  }
}

export function Minimap(props: {
  trace: Trace;
  facts?: readonly MinimapFact[];
  range: [number, number];
  theme: string;
  onRange: (r: [number, number]) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const base = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const [drag, setDrag] = useState<[number, number] | undefined>();
  const width = useWidth(host);
  useEffect(() => {
    if (width > 0) drawBase(base.current!, props.trace, width, props.facts ?? []);
  }, [props.trace, width, props.theme, props.facts]);
  useEffect(() => {
    if (width > 0) drawOverlay(overlay.current!, width, props.range, drag);
  }, [width, props.range, drag, props.theme]);
  const frac = (e: MouseEvent) => {
    const r = host.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (e.clientX - r.left - LABEL_W) / Math.max(10, r.width - LABEL_W)));
  };
  return (
    <div
      ref={host}
      class="minimap"
      role="slider"
      tabIndex={0}
      aria-label="time window of the trace"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(props.range[0] * 100)}
      data-testid="minimap"
      title="Drag to zoom; double-click to reset"
      onMouseDown={(e) => {
        const f = frac(e);
        setDrag([f, f]);
        const move = (ev: MouseEvent) => setDrag((d) => (d ? [d[0], frac(ev)] : d));
        const up = (ev: MouseEvent) => {
          window.removeEventListener('mousemove', move);
          window.removeEventListener('mouseup', up);
          const b = frac(ev);
          setDrag(undefined);
          if (Math.abs(b - f) > 0.005) props.onRange([Math.min(f, b), Math.max(f, b)]);
        };
        window.addEventListener('mousemove', move);
        window.addEventListener('mouseup', up);
      }}
      onDblClick={() => props.onRange([0, 1])}
    >
      <canvas ref={base} class="minimap-base" />
      <canvas ref={overlay} class="minimap-overlay" />
    </div>
  );
}
