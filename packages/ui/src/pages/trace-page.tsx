import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LayerCounts } from '../components/layer-badge.js';
import { useApp } from '../context.js';
import { type CriticalPath, criticalPath } from '../model/critical-path.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import { deepestExpandedDepth, isVisible, shallowestCollapsedDepth, visibleRows } from '../model/rows.js';
import { searchSpans } from '../model/span-search.js';
import type { Trace } from '../model/types.js';
import { useLocation } from '../router.js';
import { DiagnosesPanel } from '../trace/diagnoses-panel.js';
import { FlameGraph } from '../trace/flame-graph.js';
import { HelpOverlay } from '../trace/help-overlay.js';
import { JsonView } from '../trace/json-view.js';
import { actionFor, VIEW_MOVES } from '../trace/keyboard.js';
import { Minimap } from '../trace/minimap.js';
import { podFacts, podRefs } from '../trace/pod-context.js';
import { SpanDetail } from '../trace/span-detail.js';
import { SpansTable } from '../trace/spans-table.js';
import { StatsView } from '../trace/stats-view.js';
import { formatRange, parseRange, type Range } from '../trace/time-axis.js';
import { type PodContextRow, Timeline } from '../trace/timeline.js';

const VIEWS = [
  ['timeline', 'Timeline'],
  ['stats', 'Statistics'],
  ['table', 'Spans table'],
  ['flame', 'Flame graph'],
  ['json', 'JSON'],
] as const;

/** Index of `j` in the sorted row list, or -1. */
function rowOf(rows: Int32Array, j: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid] === j) return mid;
    if (rows[mid] < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return (
    !!t &&
    (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
  );
}

function TraceView(props: { trace: Trace }) {
  const { router, settings, traces } = useApp();
  const loc = useLocation(router);
  const q = loc.search;
  const { trace } = props;
  const view = q.get('view') ?? 'timeline';
  const uiFind = q.get('uiFind') ?? '';
  const matchesOnly = q.get('matchesOnly') === '1';
  const showCritical = q.get('critical') !== '0';
  const range = useMemo(() => parseRange(q.get('range')), [q.get('range')]);
  const selectedId =
    q.get('span') ?? (trace.byId.has(uiFind.trim().toLowerCase()) ? uiFind.trim().toLowerCase() : undefined);
  const selected = selectedId !== undefined ? trace.byId.get(selectedId) : undefined;

  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(new Set());
  const [findText, setFindText] = useState(uiFind);
  const [nameWidth, setNameWidth] = useState(400);
  const [help, setHelp] = useState(false);
  const [cp, setCp] = useState<CriticalPath | undefined>();
  const [pods, setPods] = useState<PodContextRow[]>([]);
  const [scrollToRow, setScrollToRow] = useState<number | undefined>();
  const rowsEl = useRef<HTMLDivElement>(null);
  const findInput = useRef<HTMLInputElement>(null);
  const onKeyRef = useRef<(e: KeyboardEvent) => void>(() => {});

  // effects run once the first screen is painted: mark it on the performance timeline
  useEffect(() => {
    performance.mark('ct:trace-first-screen', { detail: trace.traceID });
  }, [trace]);
  useEffect(() => setFindText(uiFind), [uiFind]);
  // the search box writes ?uiFind= after a pause, replacing (typing is not a back step)
  useEffect(() => {
    if (findText === uiFind) return;
    const t = setTimeout(() => router.setParams({ uiFind: findText || undefined }, { replace: true }), 250);
    return () => clearTimeout(t);
  }, [findText]);

  const matches = useMemo(() => searchSpans(trace, uiFind), [trace, uiFind]);
  const rows = useMemo(
    () => visibleRows(trace, collapsed, matchesOnly && matches ? matches.flags : undefined),
    [trace, collapsed, matchesOnly, matches],
  );

  // after the first screen: the critical path and the pods' lifecycle facts
  useEffect(() => {
    const id = setTimeout(() => setCp(criticalPath(trace)), 0);
    return () => clearTimeout(id);
  }, [trace]);
  useEffect(() => {
    const refs = podRefs(trace);
    setPods(refs.map((r) => ({ ...r, facts: undefined })));
    refs.forEach((r, i) => {
      traces
        .get(r.lifecycleTraceID)
        .then((lt) =>
          setPods((ps) => ps.map((p, k) => (k === i ? { ...p, facts: podFacts(lt, r.lifecycleSpanID) } : p))),
        )
        .catch((e: Error) =>
          setPods((ps) => ps.map((p, k) => (k === i ? { ...p, facts: [], error: e.message } : p))),
        );
    });
  }, [trace]);

  // a selected span hidden in a collapsed subtree is revealed, then scrolled to
  useEffect(() => {
    if (selected === undefined) return;
    if (!isVisible(trace, collapsed, selected)) {
      const next = new Set(collapsed);
      for (let p = trace.spans[selected].parentIndex; p >= 0; p = trace.spans[p].parentIndex) next.delete(p);
      setCollapsed(next);
      return;
    }
    const r = rowOf(rows, selected);
    if (r >= 0) setScrollToRow(r);
  }, [selected, rows]);

  const select = (j: number | undefined) =>
    router.setParams({ span: j === undefined ? undefined : trace.spans[j].spanID }, { replace: false });
  const setRange = (r: Range) => router.setParams({ range: formatRange(r) }, { replace: true });
  const toggle = (j: number) => {
    const next = new Set(collapsed);
    if (next.has(j)) next.delete(j);
    else next.add(j);
    setCollapsed(next);
  };
  const collapseAll = () =>
    setCollapsed(new Set(trace.spans.filter((s) => s.childCount > 0 && s.depth === 0).map((s) => s.index)));
  const expandAll = () => setCollapsed(new Set());
  const collapseOne = () => {
    const d = deepestExpandedDepth(trace, collapsed);
    if (d < 0) return;
    const next = new Set(collapsed);
    for (const s of trace.spans) if (s.depth === d && s.childCount > 0) next.add(s.index);
    setCollapsed(next);
  };
  const expandOne = () => {
    const d = shallowestCollapsedDepth(trace, collapsed);
    if (!Number.isFinite(d)) return;
    const next = new Set<number>();
    for (const j of collapsed) {
      const s = trace.spans[j];
      if (s.depth !== d) next.add(j);
      else
        for (let c = j + 1; c <= s.subtreeEnd; c = trace.spans[c].subtreeEnd + 1)
          if (trace.spans[c].childCount > 0) next.add(c);
    }
    setCollapsed(next);
  };
  const step = (dir: 1 | -1) => {
    if (matches && matches.list.length > 0) {
      const list = matches.list;
      const cur = selected ?? (dir > 0 ? -1 : trace.spans.length);
      let at = dir > 0 ? list.findIndex((j) => j > cur) : list.findLastIndex((j) => j < cur);
      if (at < 0) at = dir > 0 ? 0 : list.length - 1;
      select(list[at]);
      return;
    }
    const r = selected === undefined ? -1 : rowOf(rows, selected);
    const next = Math.min(rows.length - 1, Math.max(0, r + dir));
    if (rows.length > 0) select(rows[next]);
  };

  // keys act on this render's state: the listener, registered once, calls the latest handler
  // (a listener re-registered after each render would miss keys pressed in between)
  onKeyRef.current = (e: KeyboardEvent) => {
    if (isTyping(e) && e.key !== 'Escape') return;
    const a = actionFor(e);
    if (a === undefined) return;
    e.preventDefault();
    const move = VIEW_MOVES[a];
    if (move !== undefined) {
      setRange(move(range));
      return;
    }
    const page = (rowsEl.current?.clientHeight ?? 400) * 0.95;
    switch (a) {
      case 'scrollPageDown':
        rowsEl.current?.scrollBy({ top: page });
        break;
      case 'scrollPageUp':
        rowsEl.current?.scrollBy({ top: -page });
        break;
      case 'nextSpan':
        step(1);
        break;
      case 'prevSpan':
        step(-1);
        break;
      case 'collapseAll':
        collapseAll();
        break;
      case 'expandAll':
        expandAll();
        break;
      case 'collapseOne':
        collapseOne();
        break;
      case 'expandOne':
        expandOne();
        break;
      case 'search':
        findInput.current?.focus();
        break;
      case 'clear':
        if (help) setHelp(false);
        else if (uiFind || findText) {
          setFindText('');
          router.setParams({ uiFind: undefined, matchesOnly: undefined }, { replace: true });
          findInput.current?.blur();
        } else if (selected !== undefined) select(undefined);
        break;
      case 'help':
        setHelp((h) => !h);
        break;
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => onKeyRef.current(e);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const podMinimap = useMemo(
    () =>
      pods.flatMap((p) =>
        (p.facts ?? [])
          .filter((f) => f.spanID !== p.lifecycleSpanID)
          .map((f) => ({ offsetUs: f.startUs - trace.startUs, durationUs: f.durationUs })),
      ),
    [pods, trace],
  );
  // the pods the request went to bring the control plane in, though their spans live in their own traces
  const podLayer = trace.layerCounts['control-plane'] === 0 && pods.length > 0;
  const layersShown = Object.values(trace.layerCounts).filter((n) => n > 0).length + (podLayer ? 1 : 0);
  const detail = selected !== undefined && (
    <SpanDetail
      trace={trace}
      span={trace.spans[selected]}
      onSelect={select}
      onClose={() => select(undefined)}
    />
  );
  return (
    <div class="trace-page" data-testid="trace-page">
      <header class="trace-header">
        <div class="trace-title">
          <h1>
            <span class={`dot layer-${trace.spans[0]?.layer ?? 'app'}`} /> {trace.rootService}:{' '}
            {trace.rootName}
          </h1>
          <div class="trace-facts">
            <span class="mono">{trace.traceID}</span>
            <span>{formatTimestamp(trace.startUs, settings.tz)}</span>
            <span>
              <strong>{formatDuration(trace.durationUs)}</strong>
            </span>
            <span>{trace.spans.length} spans</span>
            <span>depth {trace.maxDepth + 1}</span>
            <span>
              {layersShown} layer{layersShown === 1 ? '' : 's'} <LayerCounts counts={trace.layerCounts} />
              {podLayer && (
                <span
                  class="layer-badge layer-control-plane"
                  title="the pods this request went to (their lifecycle traces)"
                >
                  CTRL {pods.length} pod{pods.length === 1 ? '' : 's'}
                </span>
              )}
            </span>
            <span>{trace.services.length} services</span>
            {trace.errorCount > 0 && <span class="error-text">{trace.errorCount} errors</span>}
            {trace.diagnoses.length > 0 && (
              <span class="diag-text">
                ▲ {trace.diagnoses.length} diagnos{trace.diagnoses.length === 1 ? 'is' : 'es'}
              </span>
            )}
            {trace.orphanCount > 0 && (
              <span class="muted">{trace.orphanCount} spans without their parent</span>
            )}
          </div>
        </div>
        <nav class="view-tabs">
          {VIEWS.map(([v, label]) => (
            <button
              type="button"
              key={v}
              class={view === v ? 'active' : ''}
              data-testid={`view-${v}`}
              onClick={() => router.setParams({ view: v === 'timeline' ? undefined : v })}
            >
              {label}
            </button>
          ))}
        </nav>
      </header>
      <DiagnosesPanel trace={trace} onSelect={(j) => select(j)} />
      {view === 'timeline' && (
        <>
          <div class="toolbar">
            <input
              ref={findInput}
              class="find"
              data-testid="find"
              placeholder="Find in trace… (Ctrl+B)"
              value={findText}
              onInput={(e) => setFindText((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') step(e.shiftKey ? -1 : 1);
              }}
            />
            {matches && (
              <span class="match-count" data-testid="match-count">
                {matches.list.length} match{matches.list.length === 1 ? '' : 'es'}
              </span>
            )}
            <button type="button" onClick={() => step(-1)} title="previous match (b)" disabled={!matches}>
              ↑
            </button>
            <button type="button" onClick={() => step(1)} title="next match (f)" disabled={!matches}>
              ↓
            </button>
            <label class="inline">
              <input
                type="checkbox"
                checked={matchesOnly}
                disabled={!matches}
                data-testid="matches-only"
                onChange={(e) =>
                  router.setParams(
                    { matchesOnly: (e.target as HTMLInputElement).checked ? '1' : undefined },
                    { replace: true },
                  )
                }
              />{' '}
              matches only
            </label>
            <span class="spacer" />
            <label class="inline" title="the spans that determined the trace's duration">
              <input
                type="checkbox"
                checked={showCritical}
                onChange={(e) =>
                  router.setParams(
                    { critical: (e.target as HTMLInputElement).checked ? undefined : '0' },
                    { replace: true },
                  )
                }
              />{' '}
              critical path
            </label>
            <button type="button" onClick={collapseAll} data-testid="collapse-all" title="collapse all (])">
              Collapse all
            </button>
            <button type="button" onClick={expandAll} data-testid="expand-all" title="expand all ([)">
              Expand all
            </button>
            {(range[0] > 0 || range[1] < 1) && (
              <button type="button" onClick={() => setRange([0, 1])}>
                Reset zoom
              </button>
            )}
            <button
              type="button"
              onClick={() => setHelp(true)}
              title="keyboard shortcuts (?)"
              data-testid="help"
            >
              ?
            </button>
          </div>
          <Minimap trace={trace} facts={podMinimap} range={range} theme={settings.theme} onRange={setRange} />
          <div class={`timeline-and-detail ${selected !== undefined ? 'with-detail' : ''}`}>
            <Timeline
              trace={trace}
              rows={rows}
              range={range}
              collapsed={collapsed}
              selected={selected}
              matches={matches}
              criticalPath={showCritical ? cp : undefined}
              pods={pods}
              nameWidth={selected !== undefined ? Math.min(nameWidth, 330) : nameWidth}
              scrollToRow={scrollToRow}
              containerRef={rowsEl}
              onToggle={toggle}
              onSelect={(j) => select(j === selected ? undefined : j)}
              onOpenPod={(p, spanID) =>
                router.navigate(`/trace/${p.lifecycleTraceID}?span=${spanID ?? p.lifecycleSpanID}`)
              }
              onNameWidth={setNameWidth}
            />
            {detail}
          </div>
        </>
      )}
      {view === 'stats' && <StatsView trace={trace} />}
      {view === 'table' && (
        <SpansTable
          trace={trace}
          onOpen={(j) => router.setParams({ view: undefined, span: trace.spans[j].spanID })}
        />
      )}
      {view === 'flame' && (
        <div class="timeline-and-detail with-detail-maybe">
          <FlameGraph trace={trace} selected={selected} theme={settings.theme} onSelect={select} />
          {detail}
        </div>
      )}
      {view === 'json' && <JsonView trace={trace} fromFile={traces.isFromFile(trace.traceID)} />}
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}

export function TracePage(props: { traceID: string }) {
  const { traces } = useApp();
  const [state, setState] = useState<{ trace?: Trace; error?: string }>({});
  useEffect(() => {
    let live = true;
    setState({});
    traces
      .get(props.traceID)
      .then((trace) => live && setState({ trace }))
      .catch((e: Error) => live && setState({ error: e.message }));
    return () => {
      live = false;
    };
  }, [props.traceID]);
  if (state.error)
    return (
      <div class="page message" data-testid="trace-error">
        <h1>Trace {props.traceID}</h1>
        <p class="form-error">{state.error}</p>
      </div>
    );
  if (!state.trace) return <div class="page message muted">Loading trace {props.traceID}…</div>;
  return <TraceView trace={state.trace} />;
}
