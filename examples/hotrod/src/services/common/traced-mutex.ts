import type { Span } from '@opentelemetry/api';
import { spanLog } from './telemetry.js';

/** `[a b c]`, as Go's `%v` prints a string slice (the original's event fields). */
function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/**
 * The original's `tracing.Mutex`: a lock (a connection pool of size one) that knows who holds it
 * and who waits, by the value of a baggage item (`request`), and says so on the span of whoever
 * takes it: "Waiting for lock behind N transactions" (`blockers`) and "Acquired lock; N
 * transactions waiting behind" (`waiters`). Waiters are served first come, first served.
 */
export class TracedMutex {
  private readonly waiters: string[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly baggageKey: string) {}

  /** Transactions holding or waiting for the lock. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Takes the lock for `session` (the baggage value), logging on `span`; resolves with the
   * function that releases it.
   */
  async lock(span: Span, session: string): Promise<() => void> {
    span.setAttribute(this.baggageKey, session);
    if (this.waiters.length > 0) {
      spanLog(span, `Waiting for lock behind ${this.waiters.length} transactions`, {
        blockers: goList(this.waiters),
      });
    }
    this.waiters.push(session);
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    const me = this.waiters.indexOf(session);
    const behind = this.waiters.filter((_, i) => i !== me);
    spanLog(span, `Acquired lock; ${behind.length} transactions waiting behind`, { waiters: goList(behind) });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const i = this.waiters.indexOf(session);
      if (i >= 0) this.waiters.splice(i, 1);
      release();
    };
  }
}
