import { useEffect, useMemo, useState } from 'preact/hooks';
import type { TraceSummaryWire } from '../api/types.js';
import { useServices } from '../components/hooks.js';
import { LayerCounts } from '../components/layer-badge.js';
import { Link } from '../components/link.js';
import { ScatterPlot } from '../components/scatter-plot.js';
import { VirtualList } from '../components/virtual-list.js';
import { useApp } from '../context.js';
import { formatAgo, formatDuration, formatTimestamp } from '../model/format.js';
import {
  formFromParams,
  isSubmitted,
  LOOKBACKS,
  paramsForSubmit,
  type SearchForm,
  summariesQuery,
  validateForm,
} from '../model/search-query.js';
import { type ResultRow, resultRow, SORTS, sortRows } from '../model/summaries.js';
import { useLocation } from '../router.js';

const ROW_HEIGHT = 58;

/** µs ↔ the value of an `<input type="datetime-local">` in the chosen time zone. */
function toInputTime(us: string, tz: 'utc' | 'local'): string {
  if (!us) return '';
  const d = new Date(Number(us) / 1000);
  if (tz === 'utc') return d.toISOString().slice(0, 16);
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}
function fromInputTime(v: string, tz: 'utc' | 'local'): string {
  if (!v) return '';
  const ms = tz === 'utc' ? Date.parse(`${v}:00Z`) : new Date(v).getTime();
  return Number.isNaN(ms) ? '' : String(ms * 1000);
}

function SearchFormView(props: { initial: SearchForm; onSubmit: (f: SearchForm) => void }) {
  const { api, settings } = useApp();
  const [f, setF] = useState(props.initial);
  const services = useServices();
  const [operations, setOperations] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => setF(props.initial), [props.initial]);
  useEffect(() => {
    if (!f.service) {
      setOperations([]);
      return;
    }
    api
      .get<{ operations: { name: string }[] }>('/api/v3/operations', { service: f.service })
      .then((r) => setOperations([...new Set((r.operations ?? []).map((o) => o.name))].sort()))
      .catch(() => setOperations([]));
  }, [f.service]);
  const set = (k: keyof SearchForm) => (e: Event) =>
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  return (
    <form
      class="search-form"
      data-testid="search-form"
      onSubmit={(e) => {
        e.preventDefault();
        const p = validateForm(f);
        setProblem(p);
        if (p === undefined) props.onSubmit(f);
      }}
    >
      <label>
        Service
        <select
          name="service"
          value={f.service}
          onChange={(e) => setF({ ...f, service: (e.target as HTMLSelectElement).value, operation: '' })}
        >
          <option value="">All services</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Operation
        <select name="operation" value={f.operation} onChange={set('operation')} disabled={!f.service}>
          <option value="">All operations</option>
          {operations.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags
        <input
          name="tags"
          value={f.tags}
          onInput={set('tags')}
          placeholder="http.response.status_code=502 k8s.pod.name=x"
          title='logfmt: key=value, space-separated; quote values with spaces: key="a b". Matches span, resource and event (log) attributes.'
        />
      </label>
      <label>
        Layer
        <select name="layer" value={f.layer} onChange={set('layer')}>
          <option value="">Any layer</option>
          <option value="ingress">ingress</option>
          <option value="app">app</option>
          <option value="control-plane">control plane</option>
        </select>
      </label>
      <label>
        Lookback
        <select name="lookback" value={f.lookback} onChange={set('lookback')}>
          {LOOKBACKS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
          <option value="custom">Custom range</option>
        </select>
      </label>
      {f.lookback === 'custom' && (
        <>
          <label>
            Start ({settings.tz === 'utc' ? 'UTC' : 'local'})
            <input
              type="datetime-local"
              name="start"
              value={toInputTime(f.start, settings.tz)}
              onInput={(e) =>
                setF({ ...f, start: fromInputTime((e.target as HTMLInputElement).value, settings.tz) })
              }
            />
          </label>
          <label>
            End
            <input
              type="datetime-local"
              name="end"
              value={toInputTime(f.end, settings.tz)}
              onInput={(e) =>
                setF({ ...f, end: fromInputTime((e.target as HTMLInputElement).value, settings.tz) })
              }
            />
          </label>
        </>
      )}
      <div class="pair">
        <label>
          Min duration
          <input
            name="minDuration"
            value={f.minDuration}
            onInput={set('minDuration')}
            placeholder="e.g. 1.2s, 100ms"
          />
        </label>
        <label>
          Max duration
          <input
            name="maxDuration"
            value={f.maxDuration}
            onInput={set('maxDuration')}
            placeholder="e.g. 1.1s"
          />
        </label>
      </div>
      <label>
        Limit results
        <input name="limit" type="number" min="1" max="10000" value={f.limit} onInput={set('limit')} />
      </label>
      {problem && <p class="form-error">{problem}</p>}
      <button type="submit" class="primary" data-testid="find-traces">
        Find traces
      </button>
    </form>
  );
}

function ResultItem(props: {
  row: ResultRow;
  maxDurationUs: number;
  selected: boolean;
  onSelect: (on: boolean) => void;
}) {
  const { settings } = useApp();
  const r = props.row;
  const width = props.maxDurationUs > 0 ? Math.max(0.5, (r.durationUs / props.maxDurationUs) * 100) : 0;
  return (
    <div class={`result ${r.errorCount > 0 ? 'has-error' : ''}`} data-testid="result">
      <input
        type="checkbox"
        aria-label="select to compare"
        checked={props.selected}
        onChange={(e) => props.onSelect((e.target as HTMLInputElement).checked)}
      />
      <div class="result-main">
        <Link href={`/trace/${r.traceID}`} class="result-title">
          <span class={`dot layer-${r.rootLayer ?? 'app'}`} />
          <strong>{r.rootService}</strong>: {r.rootOperation || '(no root)'}
          <span class="muted mono"> {r.traceID.slice(0, 7)}</span>
        </Link>
        <div class="result-meta">
          <LayerCounts counts={r.layers} />
          <span class="muted">{r.spanCount} spans</span>
          {r.errorCount > 0 && (
            <span class="error-count">
              {r.errorCount} error{r.errorCount === 1 ? '' : 's'}
            </span>
          )}
          {r.diagnoses.length > 0 && (
            <span class="diagnosis-count" title={r.diagnoses.join(', ')}>
              ▲ {r.diagnoses.length} diagnos{r.diagnoses.length === 1 ? 'is' : 'es'}
            </span>
          )}
          <span class="muted services">{r.services.map((s) => s.name).join(' · ')}</span>
        </div>
      </div>
      <div class="result-duration">
        <span>{formatDuration(r.durationUs)}</span>
        <div class="duration-track">
          <div class="duration-bar" style={{ width: `${width}%` }} />
        </div>
      </div>
      <div class="result-time">
        <span>{formatTimestamp(r.startUs, settings.tz)}</span>
        <span class="muted">{formatAgo(r.startUs, Date.now())}</span>
      </div>
    </div>
  );
}

export function SearchPage() {
  const { api, router, settings } = useApp();
  const loc = useLocation(router);
  const q = loc.search;
  const form = useMemo(() => formFromParams(q), [q.toString()]);
  const submitted = isSubmitted(q);
  const [state, setState] = useState<{ rows?: ResultRow[]; error?: string; loading: boolean; ms?: number }>({
    loading: false,
  });
  const [selected, setSelected] = useState<string[]>([]);
  const sort = q.get('sort') ?? 'recent';
  useEffect(() => {
    if (!submitted) return;
    let live = true;
    setState({ loading: true });
    const t0 = performance.now();
    api
      .get<{ summaries?: TraceSummaryWire[] }>(
        '/api/v3/trace-summaries',
        summariesQuery(form, Date.now() * 1000),
      )
      .then((r) => {
        performance.mark('ct:search-received');
        if (live)
          setState({ rows: (r.summaries ?? []).map(resultRow), loading: false, ms: performance.now() - t0 });
      })
      .catch((e: Error) => live && setState({ error: e.message, loading: false }));
    return () => {
      live = false;
    };
  }, [q.toString()]);
  const rows = useMemo(() => sortRows(state.rows ?? [], sort), [state.rows, sort]);
  const points = useMemo(
    () =>
      (state.rows ?? []).map((r) => ({
        traceID: r.traceID,
        startUs: r.startUs,
        durationUs: r.durationUs,
        error: r.errorCount > 0,
        label: `${r.rootService}: ${r.rootOperation}`,
      })),
    [state.rows],
  );
  const maxDur = rows.reduce((m, r) => Math.max(m, r.durationUs), 0);
  useEffect(() => {
    if (state.rows) performance.mark('ct:search-first-screen');
  }, [state.rows]);
  return (
    <div class="page search-page">
      <aside class="search-side">
        <h2>Search</h2>
        <SearchFormView
          initial={form}
          onSubmit={(f) =>
            router.navigate(
              `/search?${new URLSearchParams(Object.entries(paramsForSubmit(f, Date.now() * 1000)).filter(([, v]) => v !== undefined) as [string, string][])}`,
            )
          }
        />
      </aside>
      <section class="search-results">
        {!submitted && (
          <div class="empty">
            <h2>Find traces</h2>
            <p>
              Pick a service (or none), add tags such as <code>http.response.status_code=502</code>, and press{' '}
              <em>Find traces</em>. Tags also match span events (logs), as in Jaeger.
            </p>
          </div>
        )}
        {state.loading && <p class="muted">Searching…</p>}
        {state.error && (
          <p class="form-error" data-testid="search-error">
            {state.error}
          </p>
        )}
        {state.rows && (
          <>
            <ScatterPlot
              points={points}
              tz={settings.tz}
              theme={settings.theme}
              onOpen={(id) => router.navigate(`/trace/${id}`)}
            />
            <div class="results-bar">
              <strong data-testid="result-count">
                {rows.length} trace{rows.length === 1 ? '' : 's'}
              </strong>
              <label class="sort">
                Sort
                <select
                  value={sort}
                  onChange={(e) =>
                    router.setParams({ sort: (e.target as HTMLSelectElement).value }, { replace: true })
                  }
                >
                  {Object.entries(SORTS).map(([k, s]) => (
                    <option key={k} value={k}>
                      {s.label}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                disabled={selected.length !== 2}
                data-testid="compare"
                onClick={() => router.navigate(`/trace/${selected[0]}...${selected[1]}`)}
                title="Tick two traces to compare them"
              >
                Compare {selected.length}/2
              </button>
            </div>
            <VirtualList
              class="results-list"
              data-testid="results"
              count={rows.length}
              rowHeight={ROW_HEIGHT}
              renderRow={(i) => (
                <ResultItem
                  row={rows[i]}
                  maxDurationUs={maxDur}
                  selected={selected.includes(rows[i].traceID)}
                  onSelect={(on) =>
                    setSelected((s) =>
                      on
                        ? [...s.filter((x) => x !== rows[i].traceID), rows[i].traceID].slice(-2)
                        : s.filter((x) => x !== rows[i].traceID),
                    )
                  }
                />
              )}
            />
          </>
        )}
      </section>
    </div>
  );
}
