import { useEffect, useState } from 'preact/hooks';
import type { PodListRow } from '../api/types.js';
import { Link } from '../components/link.js';
import { useApp } from '../context.js';

/** The pods the collector knows from the control plane. */
export function PodsPage() {
  const { api } = useApp();
  const [pods, setPods] = useState<(PodListRow & { diagnoses?: number })[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [filter, setFilter] = useState('');
  useEffect(() => {
    api
      .get<{ data: (PodListRow & { diagnoses?: number })[] }>('/api/crosstrace/pods')
      .then((r) => setPods(r.data ?? []))
      .catch((e: Error) => setError(e.message));
  }, []);
  const f = filter.trim().toLowerCase();
  const shown = (pods ?? []).filter(
    (p) => !f || `${p.namespace}/${p.name} ${p.ips.join(' ')} ${p.node ?? ''}`.toLowerCase().includes(f),
  );
  return (
    <div class="page pods-page" data-testid="pods-page">
      <div class="page-head">
        <h1>Pods</h1>
        <input
          placeholder="filter by name, IP or node"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
      </div>
      {error && <p class="form-error">{error}</p>}
      {!pods && !error && <p class="muted">loading…</p>}
      {pods && pods.length === 0 && (
        <p class="muted">No pod seen yet: feed /k8s/objects or run the collector with --k8s-watch.</p>
      )}
      {shown.length > 0 && (
        <table class="data">
          <thead>
            <tr>
              <th>namespace</th>
              <th>pod</th>
              <th>IPs</th>
              <th>node</th>
              <th>created</th>
              <th>deletion started</th>
              <th>diagnoses</th>
              <th>lifecycle</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={`${p.namespace}/${p.name}/${p.uid}`} data-testid="pod-row">
                <td>{p.namespace}</td>
                <td>
                  <Link href={`/pods/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`}>
                    {p.name}
                  </Link>
                </td>
                <td class="mono">{p.ips.join(', ')}</td>
                <td>{p.node ?? ''}</td>
                <td class="mono small">{p.createdAt ?? ''}</td>
                <td class="mono small">{p.deletionStartedAt ?? ''}</td>
                <td class={p.diagnoses ? 'diag-text' : 'muted'}>{p.diagnoses ? `▲ ${p.diagnoses}` : '0'}</td>
                <td>
                  <Link href={`/trace/${p.lifecycle.traceID}?span=${p.lifecycle.spanID}`}>trace</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
