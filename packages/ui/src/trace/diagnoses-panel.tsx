// Under the trace header: each diagnosis as a sentence with its evidence, and where to go next.
import { Link } from '../components/link.js';
import { diagnosisPod, diagnosisSentence } from '../model/diagnosis.js';
import { attemptLabel, podLifecycleLink } from '../model/span-facts.js';
import type { Trace } from '../model/types.js';

export function DiagnosesPanel(props: { trace: Trace; onSelect: (j: number) => void }) {
  const { trace } = props;
  if (trace.diagnoses.length === 0) return null;
  return (
    <section class="diagnoses-panel" data-testid="diagnoses-panel">
      {trace.diagnoses.map((d, i) => {
        const s = trace.spans[d.spanIndex];
        const pod = diagnosisPod(d);
        const lifecycle = podLifecycleLink(s);
        return (
          <div class="diagnosis-line" key={i} data-testid="diagnosis">
            <span class="diag-mark">▲</span>
            <div>
              <code>{d.code}</code>{' '}
              <button type="button" class="link-button" onClick={() => props.onSelect(d.spanIndex)}>
                {attemptLabel(s) ?? `${s.service} ${s.name}`}
              </button>
              : {diagnosisSentence(d)}{' '}
              {pod && (
                <Link href={`/pods/${encodeURIComponent(pod.namespace)}/${encodeURIComponent(pod.name)}`}>
                  [pod page]
                </Link>
              )}{' '}
              {lifecycle && (
                <Link
                  href={`/trace/${lifecycle.traceID}?span=${lifecycle.spanID}`}
                  data-testid="diagnosis-lifecycle"
                >
                  [pod lifecycle trace]
                </Link>
              )}
            </div>
          </div>
        );
      })}
    </section>
  );
}
