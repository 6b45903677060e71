import { ErrorCode, HotrodError } from '../../errors.js';
import type { AuditEvent, ControlPlaneSink, WatchEvent } from './api-server.js';

/** Options of {@link CollectorSink}. */
export interface CollectorSinkOptions {
  /** The collector's OTLP/HTTP base URL (its `/k8s/objects` and `/k8s/audit` receivers). */
  baseUrl: string;
  /**
   * `?arrival=none` for watch events handed over without an arrival time: the collector takes
   * times from the objects, not from when they arrive (replays of recordings without arrivals).
   */
  noArrival?: boolean;
  /** Where delivery failures are reported (default: thrown by `flush()`). */
  onError?: (err: Error) => void;
}

/**
 * Sends watch events to `/k8s/objects` (JSON lines, as `kubectl get -w -o json
 * --output-watch-events` prints them) and audit events to `/k8s/audit` (an `EventList`, as the
 * API server's webhook backend batches them), in order, one request at a time; what accumulates
 * while a request is in flight goes in the next one.
 */
export class CollectorSink implements ControlPlaneSink {
  /** Watch events as JSON lines, each with the `arrival` query value it is sent with. */
  private objects: { line: string; arrival: string }[] = [];
  private audits: AuditEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: Error | undefined;

  constructor(private readonly options: CollectorSinkOptions) {}

  /**
   * @param arrivalNanos - when the event arrived in the recorded run (a replay); undefined: now,
   * or none with `noArrival`
   */
  watch(event: WatchEvent, arrivalNanos?: bigint): void {
    const arrival =
      arrivalNanos !== undefined ? String(arrivalNanos) : this.options.noArrival ? 'none' : undefined;
    this.objects.push({ line: JSON.stringify(event), arrival: arrival ?? '' });
    this.schedule();
  }

  audit(event: AuditEvent): void {
    this.audits.push(event);
    this.schedule();
  }

  /** Resolves when everything handed over so far was accepted; rejects with the first failure. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.objects.length > 0 || this.audits.length > 0) {
      this.scheduled = false;
      this.chain = this.chain.then(() => this.send());
      await this.chain;
    }
    if (this.failure) throw this.failure;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.chain = this.chain.then(async () => {
      this.scheduled = false;
      await this.send();
    });
  }

  private async send(): Promise<void> {
    const objects = this.objects;
    const audits = this.audits;
    this.objects = [];
    this.audits = [];
    try {
      // one request per run of events with the same arrival
      for (let i = 0; i < objects.length; ) {
        const arrival = objects[i].arrival;
        let j = i + 1;
        while (j < objects.length && objects[j].arrival === arrival) j++;
        const lines = objects.slice(i, j).map((o) => `${o.line}\n`);
        await this.post(`/k8s/objects${arrival === '' ? '' : `?arrival=${arrival}`}`, lines.join(''));
        i = j;
      }
      if (audits.length > 0)
        await this.post(
          '/k8s/audit',
          JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: audits }),
        );
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (this.options.onError) this.options.onError(e);
      else this.failure ??= e;
    }
  }

  private async post(path: string, body: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(new URL(path, this.options.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      if (res.ok) {
        const r = JSON.parse(text) as { rejected?: number };
        if ((r.rejected ?? 0) > 0)
          throw new HotrodError(
            ErrorCode.CollectorRefused,
            `${path}: the collector did not understand part of it: ${text}`,
          );
        return;
      }
      // overload: wait as told and send the same body again (the receiver deduplicates)
      if ((res.status === 429 || res.status === 503) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        continue;
      }
      throw new HotrodError(ErrorCode.CollectorRefused, `${path}: ${res.status} ${text}`);
    }
  }
}

/** Hands every record to several sinks (the collector and a recording). */
export function fanOut(...sinks: ControlPlaneSink[]): ControlPlaneSink {
  return {
    watch: (e) => {
      for (const s of sinks) s.watch(e);
    },
    audit: (e) => {
      for (const s of sinks) s.audit(e);
    },
  };
}
