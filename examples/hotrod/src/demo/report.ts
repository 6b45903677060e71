// The demo's closing report, read from the collector's query API (Jaeger's JSON API plus the
// crosstrace diagnoses), with links in the jaeger-ui URL conventions of the collector's UI.
import { type CrosstraceDiagnosis, type JaegerSpan, type JaegerTrace, tagOf } from './jaeger-json.js';

type Span = JaegerSpan;
type Trace = JaegerTrace;
type Diagnosis = CrosstraceDiagnosis;

const tag = tagOf;

function lexicographicLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** What the demo reports. */
export interface DemoReport {
  uiBase: string;
  /** Client requests the ingress logged in the window, by status. */
  requests: number;
  statuses: Record<string, number>;
  errors5xx: number;
  /** Requests nginx passed to a second upstream after a failed attempt. */
  retried: number;
  /** Upstream attempts that failed. */
  failedAttempts: number;
  slowest?: { traceId: string; durationMs: number; path: string; query: string; url: string };
  rollout502?: {
    traceId: string;
    spanId: string;
    /** What the client got: 502 when every attempt failed, 200 when a retry saved it. */
    clientStatus: number;
    address: string;
    pod: string;
    diagnoses: { code: string; message: string }[];
    url: string;
  };
  rolloutTrace?: { traceId: string; replicaSet: string; spans: number; url: string };
  findTrace?: { driver: string; traceId: string; url: string };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The jaeger-ui "find traces" URL for a service and tags. */
export function searchUrl(uiBase: string, service: string, tags: Record<string, string>): string {
  const q = new URLSearchParams({ limit: '20', lookback: '1h', service, tags: JSON.stringify(tags) });
  return `${uiBase}/search?${q}`;
}

/**
 * Builds the report from the collector at `queryBase` for ingress requests between `startMicros`
 * and `endMicros`; links point at `uiBase`.
 *
 * @example
 * const report = await buildReport({ queryBase, uiBase: queryBase, startMicros, endMicros, deployment: 'frontend' });
 */
export async function buildReport(opts: {
  queryBase: string;
  uiBase: string;
  startMicros: number;
  endMicros: number;
  deployment: string;
}): Promise<DemoReport> {
  const { queryBase, uiBase } = opts;
  const window = `start=${opts.startMicros}&end=${opts.endMicros}`;
  const ingress = await getJson<{ data: Trace[] }>(
    `${queryBase}/api/traces?service=ingress-nginx&${window}&limit=100000`,
  );
  const report: DemoReport = {
    uiBase,
    requests: 0,
    statuses: {},
    errors5xx: 0,
    retried: 0,
    failedAttempts: 0,
  };
  const serverOf = new Map<string, Span>();
  let slowest: { span: Span; trace: Trace } | undefined;
  for (const trace of ingress.data) {
    const service = (s: Span) => trace.processes[s.processID]?.serviceName;
    for (const s of trace.spans) {
      if (service(s) !== 'ingress-nginx') continue;
      const kind = tag(s, 'span.kind');
      if (kind === 'server') {
        if (s.startTime < opts.startMicros || s.startTime > opts.endMicros) continue;
        serverOf.set(trace.traceID, s);
        report.requests++;
        const status = Number(tag(s, 'http.response.status_code') ?? 0);
        report.statuses[status] = (report.statuses[status] ?? 0) + 1;
        if (status >= 500) report.errors5xx++;
        const attempts = trace.spans.filter((c) =>
          c.references.some((r) => r.spanID === s.spanID && r.refType === 'CHILD_OF'),
        );
        if (attempts.length > 1) report.retried++;
        // the slowest answered dispatch: its waterfall shows where the time went
        if (
          tag(s, 'url.path') === '/dispatch' &&
          status < 400 &&
          (slowest === undefined || s.duration > slowest.span.duration)
        )
          slowest = { span: s, trace };
      } else if (kind === 'client' && Number(tag(s, 'http.response.status_code') ?? 0) >= 500) {
        report.failedAttempts++;
      }
    }
  }
  if (slowest) {
    const s = slowest.span;
    report.slowest = {
      traceId: s.traceID,
      durationMs: s.duration / 1000,
      path: String(tag(s, 'url.path') ?? ''),
      query: String(tag(s, 'url.query') ?? ''),
      url: `${uiBase}/trace/${s.traceID}`,
    };
    for (const span of slowest.trace.spans) {
      const done = span.logs.find((l) =>
        l.fields.some((f) => f.key === 'event' && f.value === 'Dispatch successful'),
      );
      const driver = done?.fields.find((f) => f.key === 'driver')?.value;
      if (typeof driver === 'string') {
        report.findTrace = { driver, traceId: s.traceID, url: searchUrl(uiBase, 'frontend', { driver }) };
        break;
      }
    }
  }

  const diagnoses = await getJson<{ data: Diagnosis[] }>(
    `${queryBase}/api/crosstrace/diagnoses?since=${opts.startMicros}&limit=10000`,
  );
  const bySpan = new Map<string, Diagnosis[]>();
  for (const d of diagnoses.data) {
    if (d.code !== 'upstream-pod-terminating' && d.code !== 'upstream-endpoint-removed') continue;
    const list = bySpan.get(d.spanID) ?? [];
    list.push(d);
    bySpan.set(d.spanID, list);
  }
  // the attempt to show: one whose pod is named (terminating), then one a retry saved (its
  // trace has all three layers: the failed attempt, the app behind the retry, the pods), then
  // one whose client got the 502; the earliest of its kind
  const rank = (list: Diagnosis[], status: number): number[] => [
    list.some((x) => x.code === 'upstream-pod-terminating') ? 0 : 1,
    status < 400 ? 0 : status === 502 ? 1 : 2,
    list[0].time,
  ];
  let best: { list: Diagnosis[]; status: number; rank: number[] } | undefined;
  for (const list of bySpan.values()) {
    const server = serverOf.get(list[0].traceID);
    const status = Number((server && tag(server, 'http.response.status_code')) ?? 0);
    const r = rank(list, status);
    if (best === undefined || lexicographicLess(r, best.rank)) best = { list, status, rank: r };
  }
  if (best) {
    const d = best.list[0];
    report.rollout502 = {
      traceId: d.traceID,
      spanId: d.spanID,
      clientStatus: best.status,
      address: String(d.evidence.address ?? ''),
      pod: String(best.list.find((x) => x.evidence.pod)?.evidence.pod ?? 'unknown'),
      diagnoses: best.list.map((x) => ({ code: x.code, message: x.message })),
      url: `${uiBase}/trace/${d.traceID}?uiFind=${d.spanID}`,
    };
  }

  const rollouts = await getJson<{ data: Trace[] }>(
    `${queryBase}/api/traces?service=deployment-controller&operation=Deployment.Rollout&tags=${encodeURIComponent(
      JSON.stringify({ 'k8s.deployment.name': opts.deployment }),
    )}&start=${opts.startMicros - 3_600_000_000}&end=${opts.endMicros + 600_000_000}&limit=100`,
  );
  let latest: { span: Span; trace: Trace } | undefined;
  for (const trace of rollouts.data)
    for (const s of trace.spans)
      if (
        s.operationName === 'Deployment.Rollout' &&
        (latest === undefined || s.startTime > latest.span.startTime)
      )
        latest = { span: s, trace };
  if (latest)
    report.rolloutTrace = {
      traceId: latest.span.traceID,
      replicaSet: String(tag(latest.span, 'k8s.replicaset.name') ?? ''),
      spans: latest.trace.spans.length,
      url: `${uiBase}/trace/${latest.span.traceID}`,
    };
  return report;
}

/** The report as the terminal shows it. */
export function formatReport(r: DemoReport): string {
  const lines: string[] = [];
  const statuses = Object.entries(r.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${n} × ${s}`)
    .join(', ');
  lines.push(
    `${r.requests} requests through the ingress (${statuses || 'none'}); ${r.errors5xx} answered 5xx; ` +
      `${r.retried} retried by nginx after a failed attempt; ${r.failedAttempts} failed upstream attempts`,
  );
  lines.push('');
  if (r.slowest)
    lines.push(
      `slowest request        ${r.slowest.durationMs.toFixed(0)} ms  ${r.slowest.path}?${r.slowest.query}`,
      `                       ${r.slowest.url}`,
    );
  if (r.rollout502) {
    const x = r.rollout502;
    lines.push(
      `a 502 of the rollout   attempt to ${x.address} (pod ${x.pod}) failed; ${
        x.clientStatus < 400
          ? `nginx retried, the client got ${x.clientStatus}`
          : `the client got ${x.clientStatus}`
      }`,
      `                       ${x.url}`,
    );
    for (const d of x.diagnoses) lines.push(`                       ${d.code}: ${d.message}`);
  } else lines.push('a 502 of the rollout   none diagnosed (no upstream attempt failed during the rollout)');
  if (r.rolloutTrace)
    lines.push(
      `the rollout            ${r.rolloutTrace.spans} control-plane spans of ReplicaSet ${r.rolloutTrace.replicaSet}`,
      `                       ${r.rolloutTrace.url}`,
    );
  if (r.findTrace)
    lines.push(`find trace (driver ${r.findTrace.driver})`, `                       ${r.findTrace.url}`);
  return lines.join('\n');
}
