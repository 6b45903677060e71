// The waterfall: lane column (layer), service/operation column (tree), bars in the trace's time.
// Rows are virtualised; everything a row shows was computed when the trace was normalised.
import type { Ref } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { VirtualList } from '../components/virtual-list.js';
import type { CriticalPath } from '../model/critical-path.js';
import { formatDuration } from '../model/format.js';
import { LAYER_LABEL, LAYER_TITLE } from '../model/layers.js';
import { subtreeSummary } from '../model/rows.js';
import { attemptLabel } from '../model/span-facts.js';
import type { SpanMatches } from '../model/span-search.js';
import type { Trace } from '../model/types.js';
import type { PodFact, PodRef } from './pod-context.js';
import { pct, type Range, ticks } from './time-axis.js';

export const ROW_HEIGHT = 26;

export interface PodContextRow extends PodRef {
  facts: PodFact[] | undefined;
  error?: string;
}

export interface TimelineProps {
  trace: Trace;
  rows: Int32Array;
  range: Range;
  collapsed: ReadonlySet<number>;
  selected: number | undefined;
  matches: SpanMatches | undefined;
  criticalPath: CriticalPath | undefined;
  pods: PodContextRow[];
  nameWidth: number;
  scrollToRow: number | undefined;
  containerRef: Ref<HTMLDivElement>;
  onToggle: (j: number) => void;
  onSelect: (j: number) => void;
  onOpenPod: (p: PodContextRow, spanID?: string) => void;
  onNameWidth: (w: number) => void;
}

function relative(us: number): string {
  return `${us >= 0 ? '+' : ''}${formatDuration(us)}`;
}

const SHORT: Record<string, string> = {
  'Pod.Terminating': 'terminating',
  'Pod.Ready': 'ready',
  'Pod.NotReady': 'not ready',
  'Pod.Killing': 'killing',
  'EndpointSlice.EndpointRemoved': 'endpoint removed',
  'EndpointSlice.EndpointAdded': 'endpoint added',
  'EndpointSlice.EndpointTerminating': 'endpoint terminating',
  'EndpointSlice.EndpointNotReady': 'endpoint not ready',
  'EndpointSlice.EndpointReady': 'endpoint ready',
};

function factName(name: string): string {
  return SHORT[name] ?? name.replace(/^Pod\.|^EndpointSlice\./, '');
}

/**
 * A pod the request went to, in the request's time axis: facts with a duration (terminating) as
 * bands, instants as ticks, and what happened before or after the visible window summed up at
 * its edges ("◀ endpoint removed −1.15 s · terminating −1.65 s").
 */
function PodRow(props: {
  pod: PodContextRow;
  trace: Trace;
  range: Range;
  onOpen: TimelineProps['onOpenPod'];
}) {
  const { pod, trace, range } = props;
  const facts = (pod.facts ?? []).filter(
    (f) => f.spanID !== pod.lifecycleSpanID && !f.name.endsWith('.Scheduled'),
  );
  const at = (us: number) => pct(us - trace.startUs, trace.durationUs, range);
  const bands = facts.filter(
    (f) => f.durationUs > 0 && at(f.startUs + f.durationUs) > 0 && at(f.startUs) < 100,
  );
  const points = facts.filter((f) => !bands.includes(f));
  const inside = points.filter((f) => at(f.startUs) >= 0 && at(f.startUs) <= 100);
  const before = points
    .filter((f) => at(f.startUs) < 0)
    .reverse()
    .slice(0, 3);
  const after = points.filter((f) => at(f.startUs) > 100).slice(0, 2);
  const label = (f: PodFact) => `${factName(f.name)} ${relative(f.startUs - trace.startUs)}`;
  // a band that began before the window is named at the window's left edge, first
  const ongoing = bands.filter((f) => at(f.startUs) < 0);
  const edge = [
    ...ongoing.map((f) => `${factName(f.name)} since ${relative(f.startUs - trace.startUs)}`),
    ...before.map(label),
  ];
  const open = (f: PodFact) => () => props.onOpen(pod, f.spanID);
  return (
    <div class="span-row pod-row" data-testid="pod-context-row">
      <div class="lane layer-control-plane" title="control plane: the pod this request went to">
        {LAYER_LABEL['control-plane']}
      </div>
      <div class="name-cell" title={facts.map(label).join(' · ')}>
        <button
          type="button"
          class="link-button pod-name"
          onClick={() => props.onOpen(pod)}
          data-testid="open-lifecycle"
        >
          ┄ Pod {pod.namespace ? `${pod.namespace}/` : ''}
          {pod.name}
        </button>
        {pod.facts === undefined && <span class="muted small">{pod.error ?? 'loading…'}</span>}
      </div>
      <div class="timeline-cell">
        {bands.map((f) => {
          const a = Math.max(0, at(f.startUs));
          const b = Math.min(100, at(f.startUs + f.durationUs));
          return (
            <button
              type="button"
              key={f.spanID}
              class={`fact-band fact-${f.name.replace(/\W+/g, '-').toLowerCase()}`}
              style={{ left: `${a}%`, width: `${Math.max(b - a, 0.3)}%` }}
              title={`${f.name} from ${relative(f.startUs - trace.startUs)} for ${formatDuration(f.durationUs)} — open in the pod's lifecycle trace`}
              onClick={open(f)}
            >
              {at(f.startUs) >= 0 && (
                <span class="fact-label">
                  {factName(f.name)} at {relative(f.startUs - trace.startUs)}
                </span>
              )}
            </button>
          );
        })}
        {edge.length > 0 && (
          <button
            type="button"
            class="fact-edge before"
            onClick={open(ongoing[0] ?? before[0])}
            title="before the visible window — open in the pod's lifecycle trace"
          >
            ◀ {edge.join(' · ')}
          </button>
        )}
        {inside.map((f) => (
          <button
            type="button"
            key={f.spanID}
            class={`fact fact-${f.name.replace(/\W+/g, '-').toLowerCase()}`}
            style={{ left: `${at(f.startUs)}%` }}
            title={`${f.name} ${relative(f.startUs - trace.startUs)} — open in the pod's lifecycle trace`}
            onClick={open(f)}
          >
            <span class="fact-label">{label(f)}</span>
          </button>
        ))}
        {after.length > 0 && (
          <button
            type="button"
            class="fact-edge after"
            onClick={open(after[0])}
            title="after the visible window"
          >
            {after.map(label).join(' · ')} ▶
          </button>
        )}
      </div>
    </div>
  );
}

export function Timeline(props: TimelineProps) {
  const { trace, rows, range, collapsed, matches, criticalPath } = props;
  const summaries = useRef(new Map<number, string>());
  const root = useRef<HTMLDivElement>(null);
  const [axisWidth, setAxisWidth] = useState(600);
  useEffect(() => {
    const node = root.current!;
    const measure = () => setAxisWidth(node.clientWidth - 44 - props.nameWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(node);
    return () => ro.disconnect();
  }, [props.nameWidth]);
  const tickCount = Math.max(2, Math.min(6, Math.floor(axisWidth / 110) + 1));
  const tickList = useMemo(() => ticks(trace.durationUs, range, tickCount), [trace, range, tickCount]);
  const grid = { '--name-w': `${props.nameWidth}px` } as Record<string, string>;

  const renderRow = (k: number) => {
    const j = rows[k];
    const s = trace.spans[j];
    const isCollapsed = collapsed.has(j);
    let summary: string | undefined;
    if (isCollapsed) {
      summary = summaries.current.get(j);
      if (summary === undefined) {
        summary = subtreeSummary(trace, j);
        summaries.current.set(j, summary);
      }
    }
    const left = pct(s.offsetUs, trace.durationUs, range);
    const right = pct(s.offsetUs + s.durationUs, trace.durationUs, range);
    const width = Math.max(right - left, 0.15);
    const attempt = attemptLabel(s);
    // the duration goes after the bar, before it when the bar ends near the right edge, inside
    // it when the bar fills the row
    const labelInside = right > 85 && left < 15;
    const labelStyle = labelInside
      ? { right: `${Math.max(0, 100 - right) + 0.5}%` }
      : right > 85
        ? { right: `${100 - left + 0.5}%` }
        : { left: `${right + 0.5}%` };
    const cp = criticalPath?.get(j);
    const classes = [
      'span-row',
      j === props.selected ? 'selected' : '',
      matches?.flags[j] ? 'match' : '',
      matches && !matches.flags[j] ? 'dimmed' : '',
      s.error ? 'error' : '',
    ].join(' ');
    return (
      <div
        class={classes}
        role="treeitem"
        aria-selected={j === props.selected}
        tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onSelect(j);
        }}
        data-testid="span-row"
        data-layer={s.layer}
        data-span-id={s.spanID}
        onClick={() => props.onSelect(j)}
      >
        <div class={`lane layer-${s.layer}`} title={LAYER_TITLE[s.layer]}>
          {LAYER_LABEL[s.layer]}
        </div>
        <div class="name-cell" title={`${s.service} ${s.name}`}>
          <span class="indent" style={{ width: `${Math.min(s.depth, 24) * 14}px` }} />
          {s.childCount > 0 ? (
            <button
              type="button"
              class="twisty"
              aria-label={isCollapsed ? 'expand' : 'collapse'}
              onClick={(e) => {
                e.stopPropagation();
                props.onToggle(j);
              }}
            >
              {isCollapsed ? '▸' : '▾'}
            </button>
          ) : (
            <span class="twisty-space" />
          )}
          {s.refType === 'FOLLOWS_FROM' && (
            <span class="follows" title="follows from its parent (not a child-of call)">
              ⤳
            </span>
          )}
          <span class={`svc svc-${s.layer}`}>{s.service}</span>
          <span class="op">{attempt ?? s.name}</span>
          {s.httpStatus !== undefined && (
            <span class={`status ${s.httpStatus >= 500 ? 'bad' : ''}`}>{s.httpStatus}</span>
          )}
          {s.error && (
            <span class="err-mark" title="error">
              ✕
            </span>
          )}
          {s.diagnoses.length > 0 && (
            <span
              class="diag-mark"
              title={s.diagnoses.map((d) => d.code).join(', ')}
              data-testid="diagnosis-marker"
            >
              ▲
            </span>
          )}
          {s.links.some((l) => l.traceID !== s.traceID) && (
            <span class="link-mark" title="links to other traces">
              ↗
            </span>
          )}
          {isCollapsed && (
            <span class="collapsed-summary" data-testid="collapsed-summary">
              {summary}
            </span>
          )}
        </div>
        <div class="timeline-cell">
          <div
            class={`bar bar-${s.layer} ${s.refType === 'FOLLOWS_FROM' ? 'follows-bar' : ''} ${s.error ? 'bar-error' : ''} ${isCollapsed ? 'bar-collapsed' : ''}`}
            style={{ left: `${left}%`, width: `${width}%` }}
          />
          {cp?.map(([a, b]) => {
            const l = pct(a, trace.durationUs, range);
            const r = pct(b, trace.durationUs, range);
            return (
              <div key={a} class="critical" style={{ left: `${l}%`, width: `${Math.max(r - l, 0.1)}%` }} />
            );
          })}
          {s.events.length > 0 &&
            s.events.length <= 50 &&
            s.events.map((e, i) => (
              <div
                key={i}
                class={`event-tick ${e.name === 'crosstrace.diagnosis' ? 'diag' : ''}`}
                style={{ left: `${pct(e.timeUs - trace.startUs, trace.durationUs, range)}%` }}
              />
            ))}
          {s.diagnoses.length > 0 && (
            <span class="bar-diag" style={{ left: `${left}%` }}>
              ▲
            </span>
          )}
          <span class={`bar-label ${labelInside ? 'inside' : ''}`} style={labelStyle}>
            {formatDuration(s.durationUs)}
          </span>
        </div>
      </div>
    );
  };

  return (
    <div class="timeline" style={grid} ref={root}>
      <div class="span-row header-row">
        <div class="lane">layer</div>
        <div class="name-cell">
          service / operation
          <button
            type="button"
            class="col-resizer"
            aria-label="resize the service / operation column"
            title="drag to resize"
            onMouseDown={(e) => {
              const x0 = e.clientX;
              const w0 = props.nameWidth;
              const move = (ev: MouseEvent) =>
                props.onNameWidth(Math.min(900, Math.max(180, w0 + ev.clientX - x0)));
              const up = () => {
                window.removeEventListener('mousemove', move);
                window.removeEventListener('mouseup', up);
              };
              window.addEventListener('mousemove', move);
              window.addEventListener('mouseup', up);
            }}
          />
        </div>
        <div class="timeline-cell ticks">
          {tickList.map((t, i) => (
            <span
              key={i}
              class="tick"
              style={
                i === tickList.length - 1
                  ? { right: '2px' }
                  : { left: `${(i / (tickList.length - 1)) * 100}%` }
              }
            >
              {formatDuration(t)}
            </span>
          ))}
        </div>
      </div>
      {props.pods.map((p) => (
        <PodRow
          key={`${p.lifecycleTraceID}/${p.lifecycleSpanID}`}
          pod={p}
          trace={trace}
          range={range}
          onOpen={props.onOpenPod}
        />
      ))}
      <VirtualList
        class="span-rows"
        data-testid="span-rows"
        count={rows.length}
        rowHeight={ROW_HEIGHT}
        renderRow={renderRow}
        scrollToIndex={props.scrollToRow}
        containerRef={props.containerRef}
      />
    </div>
  );
}
