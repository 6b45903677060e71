import { context, type Span as OtelSpan, ROOT_CONTEXT } from '@opentelemetry/api';
import { followsFrom, type SpanContext, type Tracer } from 'opentracing';
import { sleepNormal } from '../common/delay.js';
import { goDuration } from './go-duration.js';

/**
 * The asynchronous step after `/dispatch` has answered: the customer is told which car comes.
 * Its span (`notify customer`) is not a child of the request — the answer did not wait for it —
 * but follows from it (OpenTracing `FollowsFrom`).
 */
export class CustomerNotifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly tracer: Tracer,
    private readonly delay: { meanMs: number; stdDevMs: number } = { meanMs: 15, stdDevMs: 5 },
  ) {}

  /** Starts the notification (not awaited by the request). */
  notify(after: OtelSpan | undefined, customer: string, driver: string, etaNanos: number): void {
    const run = context.with(ROOT_CONTEXT, () => this.send(after, customer, driver, etaNanos));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async send(after: OtelSpan | undefined, customer: string, driver: string, etaNanos: number) {
    const references =
      after === undefined ? [] : [followsFrom(after.spanContext() as unknown as SpanContext)];
    const span = this.tracer.startSpan('notify customer', {
      references,
      tags: { 'messaging.system': 'sms', customer, driver },
    });
    try {
      await sleepNormal(this.delay.meanMs, this.delay.stdDevMs);
      span.log({ event: 'Notification sent', customer, driver, eta: goDuration(etaNanos), level: 'info' });
    } finally {
      span.finish();
    }
  }

  /** Resolves when every started notification finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
