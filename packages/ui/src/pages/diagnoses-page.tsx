import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DiagnosisRow } from '../api/types.js';
import { useServices } from '../components/hooks.js';
import { Link } from '../components/link.js';
import { useApp } from '../context.js';
import { diagnosisSentence } from '../model/diagnosis.js';
import { formatTimestamp } from '../model/format.js';
import { useLocation } from '../router.js';

export const DIAGNOSIS_CODES = [
  'upstream-pod-terminating',
  'upstream-endpoint-removed',
  'upstream-pod-not-ready',
  'upstream-ip-unassigned',
  'ingress-reload',
];

const WINDOWS = [
  ['1h', 'Last hour', 3600e6],
  ['6h', 'Last 6 hours', 6 * 3600e6],
  ['24h', 'Last 24 hours', 24 * 3600e6],
  ['7d', 'Last 7 days', 7 * 86400e6],
  ['30d', 'Last 30 days', 30 * 86400e6],
  ['all', 'All time', 0],
] as const;

/** Every failure the collector explained, newest first, with its evidence and where to go next. */
export function DiagnosesPage() {
  const { api, router, settings } = useApp();
  const loc = useLocation(router);
  const q = loc.search;
  const service = q.get('service') ?? '';
  const code = q.get('code') ?? '';
  const lookback = q.get('lookback') ?? '24h';
  const services = useServices();
  const [rows, setRows] = useState<DiagnosisRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const w = WINDOWS.find((x) => x[0] === lookback) ?? WINDOWS[2];
    const since = w[2] > 0 ? Math.floor(Date.now() * 1000 - w[2]) : undefined;
    setRows(undefined);
    setError(undefined);
    api
      .get<{ data: DiagnosisRow[] }>('/api/crosstrace/diagnoses', { service, code, since, limit: 2000 })
      .then((r) => setRows(r.data ?? []))
      .catch((e: Error) => setError(e.message));
  }, [service, code, lookback]);
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const r of rows ?? []) m.set(r.code, (m.get(r.code) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  }, [rows]);
  const set = (k: string) => (e: Event) =>
    router.setParams({ [k]: (e.target as HTMLSelectElement).value || undefined });
  return (
    <div class="page diagnoses-page" data-testid="diagnoses-page">
      <div class="page-head">
        <h1>Diagnoses</h1>
        <label>
          Service{' '}
          <select value={service} onChange={set('service')}>
            <option value="">All services</option>
            {services.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Code{' '}
          <select value={code} onChange={set('code')} data-testid="code-filter">
            <option value="">All codes</option>
            {DIAGNOSIS_CODES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Time{' '}
          <select value={lookback} onChange={set('lookback')}>
            {WINDOWS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted">
        Failed upstream attempts the collector explained with a control-plane fact. Each links to the
        request’s trace and to the lifecycle trace of the pod involved.
      </p>
      {counts.length > 0 && (
        <p class="code-counts">
          {counts.map(([c, n]) => (
            <span key={c} class="code-count">
              <span class="diag-mark">▲</span> <code>{c}</code> {n}
            </span>
          ))}
        </p>
      )}
      {error && <p class="form-error">{error}</p>}
      {!rows && !error && <p class="muted">loading…</p>}
      {rows && rows.length === 0 && <p class="muted">No diagnosis in this window.</p>}
      {rows && rows.length > 0 && (
        <table class="data diagnoses-table">
          <thead>
            <tr>
              <th>time</th>
              <th>code</th>
              <th>service</th>
              <th>pod</th>
              <th>what happened</th>
              <th>open</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.spanID}/${r.code}`} data-testid="diagnosis-row">
                <td class="nowrap">{formatTimestamp(r.time, settings.tz)}</td>
                <td class="nowrap">
                  <span class="diag-mark">▲</span> <code>{r.code}</code>
                </td>
                <td>{r.service}</td>
                <td>
                  {r.pod ? (
                    <Link
                      href={`/pods/${encodeURIComponent(r.pod.namespace)}/${encodeURIComponent(r.pod.name)}`}
                    >
                      {r.pod.namespace}/{r.pod.name}
                    </Link>
                  ) : (
                    <span class="muted">–</span>
                  )}
                </td>
                <td>
                  {diagnosisSentence(r)}
                  <details>
                    <summary class="muted small">evidence</summary>
                    <table class="kv">
                      <tbody>
                        {Object.entries(r.evidence).map(([k, v]) => (
                          <tr key={k}>
                            <th>{k}</th>
                            <td class="mono">{String(v)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                </td>
                <td class="nowrap links-cell">
                  <Link href={`/trace/${r.traceID}?span=${r.spanID}`} data-testid="diagnosis-trace">
                    request trace
                  </Link>
                  {r.lifecycle && (
                    <Link href={`/trace/${r.lifecycle.traceID}?span=${r.lifecycle.spanID}`}>
                      pod lifecycle
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
