// The selected span: identity and timing, status, diagnoses with their evidence, attributes,
// resource, events, references and links (links to other traces open them).
import { Link } from '../components/link.js';
import { useApp } from '../context.js';
import { diagnosisPod, diagnosisSentence } from '../model/diagnosis.js';
import { formatDuration, formatTimestamp, formatValue } from '../model/format.js';
import { LAYER_TITLE } from '../model/layers.js';
import { linkPod, podLifecycleLink } from '../model/span-facts.js';
import type { Attr, Trace, TraceSpan } from '../model/types.js';

function AttrTable(props: { attrs: readonly Attr[]; testid?: string }) {
  if (props.attrs.length === 0) return <p class="muted small">none</p>;
  const sorted = [...props.attrs].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <table class="kv" data-testid={props.testid}>
      <tbody>
        {sorted.map((a, i) => (
          <tr key={i}>
            <th>{a.key}</th>
            <td class="mono">{formatValue(a.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Section(props: {
  title: string;
  count?: number;
  open?: boolean;
  children: preact.ComponentChildren;
}) {
  return (
    <details class="detail-section" open={props.open ?? true}>
      <summary>
        {props.title}
        {props.count !== undefined && <span class="muted"> ({props.count})</span>}
      </summary>
      {props.children}
    </details>
  );
}

export function SpanDetail(props: {
  trace: Trace;
  span: TraceSpan;
  onSelect: (j: number) => void;
  onClose: () => void;
}) {
  const { settings } = useApp();
  const { trace, span: s } = props;
  const parent = s.parentIndex >= 0 ? trace.spans[s.parentIndex] : undefined;
  const lifecycle = podLifecycleLink(s);
  return (
    <aside class="span-detail" data-testid="span-detail">
      <header>
        <div>
          <span class={`layer-badge layer-${s.layer}`}>{LAYER_TITLE[s.layer]}</span>{' '}
          <strong>{s.service}</strong>
          <h3>{s.name}</h3>
        </div>
        <button type="button" class="close" onClick={props.onClose} aria-label="close the span detail">
          ×
        </button>
      </header>
      <dl class="facts">
        <dt>Duration</dt>
        <dd>{formatDuration(s.durationUs)}</dd>
        <dt>Start</dt>
        <dd>
          {formatTimestamp(s.startUs, settings.tz)} <span class="muted">(+{formatDuration(s.offsetUs)})</span>
        </dd>
        <dt>Kind</dt>
        <dd>{s.kind || 'unspecified'}</dd>
        <dt>Status</dt>
        <dd class={s.error ? 'error-text' : ''}>
          {s.statusCode}
          {s.statusMessage ? `: ${s.statusMessage}` : ''}
        </dd>
        <dt>Span ID</dt>
        <dd class="mono">{s.spanID}</dd>
        <dt>Scope</dt>
        <dd>
          {s.scope.name || '–'} {s.scope.version}
        </dd>
      </dl>
      {s.diagnoses.length > 0 && (
        <Section title="Diagnoses" count={s.diagnoses.length}>
          {s.diagnoses.map((d, i) => {
            const pod = diagnosisPod(d);
            return (
              <div class="diagnosis" key={i} data-testid="span-diagnosis">
                <p>
                  <span class="diag-mark">▲</span> <code>{d.code}</code> {diagnosisSentence(d)}
                </p>
                <AttrTable attrs={Object.entries(d.evidence).map(([key, value]) => ({ key, value }))} />
                <p class="actions">
                  {pod && (
                    <Link href={`/pods/${encodeURIComponent(pod.namespace)}/${encodeURIComponent(pod.name)}`}>
                      pod page
                    </Link>
                  )}
                  {lifecycle && (
                    <Link
                      href={`/trace/${lifecycle.traceID}?span=${lifecycle.spanID}`}
                      data-testid="lifecycle-link"
                    >
                      pod lifecycle trace
                    </Link>
                  )}
                </p>
              </div>
            );
          })}
        </Section>
      )}
      <Section title="Attributes" count={s.attributes.length}>
        <AttrTable attrs={s.attributes} testid="span-attributes" />
      </Section>
      <Section title="Resource" count={s.resource.length} open={false}>
        <AttrTable attrs={s.resource} />
      </Section>
      <Section title="Events" count={s.events.length} open={s.events.length > 0 && s.events.length < 10}>
        {s.events.length === 0 && <p class="muted small">none</p>}
        {s.events.map((e, i) => (
          <div class="event" key={i}>
            <div>
              <span class="muted">+{formatDuration(e.timeUs - s.startUs)}</span> <strong>{e.name}</strong>
            </div>
            <AttrTable attrs={e.attributes} />
          </div>
        ))}
      </Section>
      <Section title="References and links" count={s.links.length + (parent ? 1 : 0)}>
        <ul class="links">
          {parent && (
            <li>
              {s.refType === 'FOLLOWS_FROM' ? 'follows from' : 'child of'}{' '}
              <button type="button" class="link-button" onClick={() => props.onSelect(parent.index)}>
                {parent.service} {parent.name}
              </button>
            </li>
          )}
          {s.links.map((l, i) => {
            const here = l.traceID === s.traceID ? trace.byId.get(l.spanID) : undefined;
            const pod = linkPod(l);
            const label = l.linkType || l.refType || 'link';
            return (
              <li key={i}>
                <span class="link-type">{label}</span>{' '}
                {here !== undefined ? (
                  <button type="button" class="link-button" onClick={() => props.onSelect(here)}>
                    {trace.spans[here].service} {trace.spans[here].name}
                  </button>
                ) : (
                  <Link
                    href={`/trace/${l.traceID}?span=${l.spanID}`}
                    data-testid={l.linkType === 'pod-lifecycle' ? 'link-pod-lifecycle' : undefined}
                  >
                    {pod ? `pod ${pod.namespace}/${pod.name}` : `${l.traceID.slice(0, 12)}… / ${l.spanID}`}
                  </Link>
                )}
                {l.attributes.length > 0 && (
                  <details>
                    <summary class="muted small">attributes</summary>
                    <AttrTable attrs={l.attributes} />
                  </details>
                )}
              </li>
            );
          })}
        </ul>
      </Section>
    </aside>
  );
}
