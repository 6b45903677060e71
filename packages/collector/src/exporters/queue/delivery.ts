// Delivers the rows of a PersistentQueue, per destination: a few sends in flight, each row removed
// only once its destination acknowledged it; on a retryable refusal the destination backs off
// (exponentially with jitter, or exactly as long as Retry-After / RetryInfo asked) and the row stays.
import type { SendResult } from '../otlp/send-result.js';
import type { PersistentQueue, QueueItem } from './persistent-queue.js';

export interface DeliveryOptions {
  queue: PersistentQueue;
  /** Sends one row to its destination. */
  send(item: QueueItem): Promise<SendResult>;
  /** Sends in flight per destination (default 4). */
  concurrency?: number;
  /** First back-off (ms, default 250), doubled per failure up to `maxBackoffMs` (default 10 000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After honoured (ms, default 300 000). */
  maxRetryAfterMs?: number;
  /** Every outcome, for metrics and logs (never throws into the loop). */
  onResult?(item: QueueItem, result: SendResult): void;
}

interface DestState {
  inFlight: Map<number, QueueItem>;
  /** highest row id handed out (rows are read after it) */
  cursor: number;
  failures: number;
  backoffUntil: number;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  idle: (() => void)[];
}

/** Counts since start. */
export interface DeliveryStats {
  sent: number;
  items: number;
  retries: number;
  dropped: number;
}

/**
 * The sender side of a persistent queue.
 *
 * @example
 * const delivery = new Delivery({ queue, send: (item) => client.exportTraces(item.payload) });
 * delivery.add('gateway-0');
 * queue.enqueue([{ dest: 'gateway-0', kind: 'traces', payload, items: 10 }]);
 * delivery.wake('gateway-0');
 */
export class Delivery {
  readonly stats: DeliveryStats = { sent: 0, items: 0, retries: 0, dropped: 0 };
  readonly #o: Required<Omit<DeliveryOptions, 'onResult'>> & Pick<DeliveryOptions, 'onResult'>;
  readonly #dests = new Map<string, DestState>();
  #idleWaiters: (() => void)[] = [];

  constructor(options: DeliveryOptions) {
    this.#o = {
      ...options,
      concurrency: options.concurrency ?? 4,
      initialBackoffMs: options.initialBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
    };
  }

  /** Starts delivering to `dest` (its rows already queued included). */
  add(dest: string): void {
    if (this.#dests.has(dest)) return;
    this.#dests.set(dest, {
      inFlight: new Map(),
      cursor: 0,
      failures: 0,
      backoffUntil: 0,
      timer: undefined,
      stopped: false,
      idle: [],
    });
    this.wake(dest);
  }

  /** Stops delivering to `dest`; resolves once its sends in flight settled (rows not sent stay queued). */
  async remove(dest: string): Promise<void> {
    const st = this.#dests.get(dest);
    if (st === undefined) return;
    st.stopped = true;
    if (st.timer !== undefined) clearTimeout(st.timer);
    if (st.inFlight.size > 0) await new Promise<void>((r) => st.idle.push(r));
    this.#dests.delete(dest);
  }

  destinations(): string[] {
    return [...this.#dests.keys()];
  }

  /** Rows were added for `dest`. */
  wake(dest: string): void {
    const st = this.#dests.get(dest);
    if (st === undefined || st.stopped) return;
    const wait = st.backoffUntil - Date.now();
    if (wait > 0) {
      if (st.timer === undefined)
        st.timer = setTimeout(() => {
          st.timer = undefined;
          this.wake(dest);
        }, wait);
      return;
    }
    while (st.inFlight.size < this.#o.concurrency) {
      // rows after the cursor; a rewound cursor may pass rows still in flight, which are skipped
      const rows = this.#o.queue.next(dest, st.cursor, this.#o.concurrency);
      if (rows.length === 0) break;
      for (const row of rows) {
        st.cursor = row.id;
        if (st.inFlight.has(row.id)) continue;
        if (st.inFlight.size >= this.#o.concurrency) {
          st.cursor = row.id - 1;
          break;
        }
        st.inFlight.set(row.id, row);
        void this.#deliver(dest, st, row);
      }
    }
    this.#settleIdle();
  }

  async #deliver(dest: string, st: DestState, item: QueueItem): Promise<void> {
    let result: SendResult;
    try {
      result = await this.#o.send(item);
    } catch (err) {
      result = { kind: 'retry', afterMs: undefined, message: (err as Error).message };
    }
    try {
      this.#o.onResult?.(item, result);
    } catch {
      // a failing observer must not stop delivery
    }
    st.inFlight.delete(item.id);
    if (result.kind === 'retry') {
      this.stats.retries++;
      this.#o.queue.attempted(item);
      // sends that were in flight together fail together: one step of back-off, not one each
      if (Date.now() >= st.backoffUntil) st.failures++;
      const backoff = Math.min(this.#o.maxBackoffMs, this.#o.initialBackoffMs * 2 ** (st.failures - 1));
      const delay =
        result.afterMs !== undefined
          ? Math.min(result.afterMs, this.#o.maxRetryAfterMs)
          : backoff * (0.5 + Math.random() / 2);
      st.backoffUntil = Math.max(st.backoffUntil, Date.now() + delay);
      // the row is read again: rewind the cursor below it
      st.cursor = Math.min(st.cursor, item.id - 1);
    } else {
      if (result.kind === 'permanent') this.stats.dropped += item.items;
      else {
        this.stats.sent++;
        this.stats.items += item.items;
        st.failures = 0;
      }
      this.#o.queue.remove(item);
    }
    if (st.inFlight.size === 0) {
      const waiters = st.idle;
      st.idle = [];
      for (const w of waiters) w();
    }
    if (!st.stopped) this.wake(dest);
    this.#settleIdle();
  }

  /** True when no destination has a send in flight or a row it could send now. */
  #isIdle(): boolean {
    for (const st of this.#dests.values()) if (st.inFlight.size > 0) return false;
    return this.#o.queue.depth().rows === 0;
  }

  #settleIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const w = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const f of w) f();
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  drained(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Stops every destination (queued rows stay for the next start). */
  async stop(): Promise<void> {
    await Promise.all([...this.#dests.keys()].map((d) => this.remove(d)));
  }
}
