// Reads traces through the collector's Jaeger-compatible query API, as a user's tools would.
import type { JaegerSpan, JaegerTag, JaegerTrace } from '../../src/demo/jaeger-json.js';

export type { JaegerSpan, JaegerTag, JaegerTrace };

export function tag(s: { tags: JaegerTag[] }, key: string): JaegerTag['value'] | undefined {
  return s.tags.find((t) => t.key === key)?.value;
}

/** The span's Jaeger logs as `{event, ...fields}` objects. */
export function logs(s: JaegerSpan): Record<string, JaegerTag['value']>[] {
  return s.logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])));
}

/** A trace with helpers to walk it. */
export class TraceView {
  readonly byId = new Map<string, JaegerSpan>();
  constructor(readonly trace: JaegerTrace) {
    for (const s of trace.spans) this.byId.set(s.spanID, s);
  }
  service(s: JaegerSpan): string {
    return this.trace.processes[s.processID]?.serviceName ?? '';
  }
  find(service: string, operation: string | RegExp): JaegerSpan[] {
    return this.trace.spans.filter(
      (s) =>
        this.service(s) === service &&
        (typeof operation === 'string' ? s.operationName === operation : operation.test(s.operationName)),
    );
  }
  one(service: string, operation: string | RegExp): JaegerSpan {
    const found = this.find(service, operation);
    if (found.length !== 1)
      throw new Error(`expected one ${service} ${operation}, found ${found.length}: ${this.describe()}`);
    return found[0];
  }
  parent(s: JaegerSpan): JaegerSpan | undefined {
    const ref = s.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === s.traceID);
    return ref ? this.byId.get(ref.spanID) : undefined;
  }
  children(s: JaegerSpan): JaegerSpan[] {
    return this.trace.spans.filter((c) => this.parent(c) === s);
  }
  describe(): string {
    return this.trace.spans.map((s) => `${this.service(s)}:${s.operationName}`).join(', ');
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function getTrace(queryBase: string, traceId: string): Promise<TraceView> {
  const body = await getJson<{ data: JaegerTrace[] }>(`${queryBase}/api/traces/${traceId}`);
  return new TraceView(body.data[0]);
}

/** Polls `fn` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
