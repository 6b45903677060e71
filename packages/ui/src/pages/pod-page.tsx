import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PodRequestRow, PodRequests } from '../api/types.js';
import { Link } from '../components/link.js';
import { useApp } from '../context.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import type { Trace } from '../model/types.js';
import { type PodFact, podFacts } from '../trace/pod-context.js';

const FACT_CLASS = (name: string) => `fact-${name.replace(/\W+/g, '-').toLowerCase()}`;

/**
 * One pod: its lifecycle (scheduled, ready, terminating, endpoint changes) on a time axis, with
 * the requests it served and those that failed on it, each a link to its trace.
 */
export function PodPage(props: { namespace: string; name: string }) {
  const { api, router, settings, traces } = useApp();
  const [data, setData] = useState<PodRequests | undefined>();
  const [lifecycle, setLifecycle] = useState<Trace | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setData(undefined);
    setLifecycle(undefined);
    api
      .get<PodRequests>(
        `/api/crosstrace/pods/${encodeURIComponent(props.namespace)}/${encodeURIComponent(props.name)}/requests`,
      )
      .then((d) => {
        setData(d);
        if (d.pod.lifecycle)
          traces
            .get(d.pod.lifecycle.traceID)
            .then(setLifecycle)
            .catch(() => setLifecycle(undefined));
      })
      .catch((e: Error) => setError(e.message));
  }, [props.namespace, props.name]);
  const facts: PodFact[] = useMemo(
    () => (lifecycle && data?.pod.lifecycle ? podFacts(lifecycle, data.pod.lifecycle.spanID) : []),
    [lifecycle, data],
  );
  const axis = useMemo(() => {
    if (!data) return undefined;
    let a = Number.POSITIVE_INFINITY;
    let b = Number.NEGATIVE_INFINITY;
    for (const f of facts) {
      a = Math.min(a, f.startUs);
      b = Math.max(b, f.startUs + f.durationUs);
    }
    for (const r of data.data) {
      a = Math.min(a, r.startTime);
      b = Math.max(b, r.startTime + r.duration);
    }
    if (!Number.isFinite(a)) return undefined;
    const pad = Math.max((b - a) * 0.03, 1000);
    return { start: a - pad, end: b + pad };
  }, [facts, data]);
  if (error)
    return (
      <div class="page message">
        <h1>
          Pod {props.namespace}/{props.name}
        </h1>
        <p class="form-error">{error}</p>
      </div>
    );
  if (!data) return <div class="page message muted">loading…</div>;
  const x = (us: number) => (axis ? ((us - axis.start) / (axis.end - axis.start)) * 100 : 0);
  const failed = data.data.filter((r) => r.error || (r.statusCode ?? 0) >= 500);
  const lifecycleSpan = facts.find((f) => f.spanID === data.pod.lifecycle?.spanID);
  const marks = facts.filter((f) => f !== lifecycleSpan);
  const openRequest = (r: PodRequestRow) => router.navigate(`/trace/${r.traceID}?span=${r.spanID}`);
  return (
    <div class="page pod-page" data-testid="pod-page">
      <div class="page-head">
        <h1>
          <span class="layer-badge layer-control-plane">CTRL</span> Pod {data.pod.namespace}/{data.pod.name}
        </h1>
        {data.pod.lifecycle && (
          <Link href={`/trace/${data.pod.lifecycle.traceID}?span=${data.pod.lifecycle.spanID}`}>
            lifecycle trace →
          </Link>
        )}
      </div>
      <dl class="facts pod-facts">
        <dt>IPs</dt>
        <dd class="mono">{data.pod.ips.join(', ') || '–'}</dd>
        <dt>Node</dt>
        <dd>{data.pod.node || '–'}</dd>
        <dt>IP held</dt>
        <dd class="mono">
          {data.pod.ipFrom ?? '?'} → {data.pod.ipUntil ?? 'now'}
        </dd>
        <dt>Deletion</dt>
        <dd class="mono">
          {data.pod.deletionStartedAt ? `started ${data.pod.deletionStartedAt}` : 'not deleted'}
        </dd>
        <dt>Requests</dt>
        <dd>
          {data.total} served,{' '}
          <span class={failed.length > 0 ? 'error-text' : ''}>{failed.length} failed</span>
        </dd>
      </dl>
      {axis && (
        <div class="pod-axis" data-testid="pod-axis">
          <div class="pod-lane">
            <span class="pod-lane-label">lifecycle</span>
            <div class="pod-lane-body">
              {lifecycleSpan && (
                <div
                  class="pod-extent"
                  style={{
                    left: `${x(lifecycleSpan.startUs)}%`,
                    width: `${x(lifecycleSpan.startUs + lifecycleSpan.durationUs) - x(lifecycleSpan.startUs)}%`,
                  }}
                />
              )}
              {marks.map((f) =>
                f.durationUs > 0 ? (
                  <div
                    key={f.spanID}
                    class={`fact-band ${FACT_CLASS(f.name)}`}
                    style={{
                      left: `${x(f.startUs)}%`,
                      width: `${Math.max(0.4, x(f.startUs + f.durationUs) - x(f.startUs))}%`,
                    }}
                    title={`${f.name} at ${formatTimestamp(f.startUs, settings.tz)} for ${formatDuration(f.durationUs)}`}
                  />
                ) : (
                  <div
                    key={f.spanID}
                    class={`pod-tick ${FACT_CLASS(f.name)}`}
                    style={{ left: `${x(f.startUs)}%` }}
                    title={`${f.name} at ${formatTimestamp(f.startUs, settings.tz)}`}
                  />
                ),
              )}
            </div>
          </div>
          <div class="pod-lane">
            <span class="pod-lane-label">requests</span>
            <div class="pod-lane-body">
              {data.data.map((r) => (
                <button
                  type="button"
                  key={r.spanID}
                  class={`req-dot ${r.error || (r.statusCode ?? 0) >= 500 ? 'failed' : ''} ${r.diagnoses.length > 0 ? 'diagnosed' : ''}`}
                  style={{ left: `${x(r.startTime)}%` }}
                  title={`${r.operationName} ${r.statusCode ?? ''} at ${formatTimestamp(r.startTime, settings.tz)}${r.diagnoses.length ? ` — ${r.diagnoses.join(', ')}` : ''}`}
                  onClick={() => openRequest(r)}
                  data-testid="pod-request-dot"
                />
              ))}
            </div>
          </div>
          <div class="pod-axis-labels">
            <span>{formatTimestamp(axis.start, settings.tz)}</span>
            <span>{formatTimestamp(axis.end, settings.tz)}</span>
          </div>
          <ul class="pod-legend">
            {marks.map((f) => (
              <li key={f.spanID}>
                <span class={`legend-swatch ${FACT_CLASS(f.name)}`} /> {f.name}{' '}
                <span class="muted">{formatTimestamp(f.startUs, settings.tz)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <h2>Requests</h2>
      <table class="data">
        <thead>
          <tr>
            <th>time</th>
            <th>kind</th>
            <th>service</th>
            <th>operation</th>
            <th>status</th>
            <th>duration</th>
            <th>diagnoses</th>
          </tr>
        </thead>
        <tbody>
          {data.data.map((r) => (
            <tr key={r.spanID} class={r.error ? 'error-row' : ''} data-testid="pod-request">
              <td class="nowrap">
                <Link href={`/trace/${r.traceID}?span=${r.spanID}`}>
                  {formatTimestamp(r.startTime, settings.tz)}
                </Link>
              </td>
              <td>{r.kind === 'upstream-attempt' ? `attempt → ${r.address ?? ''}` : 'app server span'}</td>
              <td>{r.serviceName}</td>
              <td>{r.operationName}</td>
              <td class={(r.statusCode ?? 0) >= 500 || r.error ? 'error-text' : ''}>
                {r.statusCode ?? (r.error ? 'error' : '')}
              </td>
              <td class="num">{formatDuration(r.duration)}</td>
              <td class="diag-text">{r.diagnoses.map((d) => `▲ ${d}`).join(' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
