// Control-plane facts for a request: the pods its upstream attempts went to, each with the facts
// of its lifecycle trace (ready, terminating, endpoint removed, …), placed in the request's time.
import { directChildren } from '../model/critical-path.js';
import { linkPod, podLifecycleLink } from '../model/span-facts.js';
import type { Trace } from '../model/types.js';

export interface PodRef {
  namespace: string;
  name: string;
  lifecycleTraceID: string;
  lifecycleSpanID: string;
  /** spans of the request that went to this pod */
  attempts: number[];
}

export interface PodFact {
  name: string;
  /** µs since the epoch */
  startUs: number;
  durationUs: number;
  spanID: string;
}

/** The pods the trace's attempts link to, in order of first attempt. */
export function podRefs(trace: Trace): PodRef[] {
  const out = new Map<string, PodRef>();
  for (const s of trace.spans) {
    const l = podLifecycleLink(s);
    if (!l) continue;
    const key = `${l.traceID}/${l.spanID}`;
    let ref = out.get(key);
    if (ref === undefined) {
      const pod = linkPod(l) ?? { namespace: '', name: l.spanID };
      ref = { ...pod, lifecycleTraceID: l.traceID, lifecycleSpanID: l.spanID, attempts: [] };
      out.set(key, ref);
    }
    ref.attempts.push(s.index);
  }
  return [...out.values()];
}

/** The facts under the pod's lifecycle span, by time. */
export function podFacts(lifecycle: Trace, podSpanID: string): PodFact[] {
  const j = lifecycle.byId.get(podSpanID);
  if (j === undefined) return [];
  const out: PodFact[] = [];
  const add = (i: number) => {
    const s = lifecycle.spans[i];
    out.push({ name: s.name, startUs: s.startUs, durationUs: s.durationUs, spanID: s.spanID });
  };
  add(j);
  for (const c of directChildren(lifecycle, j)) add(c);
  return out.sort((a, b) => a.startUs - b.startUs);
}
