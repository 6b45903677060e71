import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../context.js';
import type { Trace } from '../model/types.js';

const PREVIEW_CHARS = 200_000;

async function download(url: string, name: string, token: string | undefined): Promise<void> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The trace as the collector serves it: Jaeger JSON or OTLP/JSON, downloadable, with a preview. */
export function JsonView(props: { trace: Trace; fromFile: boolean }) {
  const { api } = useApp();
  const [preview, setPreview] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const id = props.trace.traceID;
  useEffect(() => {
    if (props.fromFile) {
      setPreview(JSON.stringify(props.trace.spans.slice(0, 200), null, 2).slice(0, PREVIEW_CHARS));
      return;
    }
    api
      .get<unknown>(`/api/traces/${id}`)
      .then((doc) => setPreview(JSON.stringify(doc, null, 2).slice(0, PREVIEW_CHARS)))
      .catch((e: Error) => setError(e.message));
  }, [id]);
  return (
    <div class="json-view" data-testid="json-view">
      {!props.fromFile && (
        <p class="actions">
          <button
            type="button"
            onClick={() =>
              download(`/api/traces/${id}`, `trace-${id}.json`, api.token).catch((e) => setError(e.message))
            }
          >
            Download Jaeger JSON
          </button>
          <button
            type="button"
            onClick={() =>
              download(`/api/v3/traces/${id}`, `trace-${id}.otlp.json`, api.token).catch((e) =>
                setError(e.message),
              )
            }
          >
            Download OTLP/JSON
          </button>
          <span class="muted"> Either file opens again with “Open file”, here or in jaeger-ui.</span>
        </p>
      )}
      {error && <p class="form-error">{error}</p>}
      <pre class="json-preview">{preview ?? 'loading…'}</pre>
    </div>
  );
}
