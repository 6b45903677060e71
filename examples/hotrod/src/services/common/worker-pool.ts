/**
 * The original's `pool.Pool`: a fixed number of workers taking jobs from one queue, shared by
 * every request of the process — with 3 workers, ten route calls of one dispatch run three at a
 * time, and concurrent dispatches wait for each other (`--fix-route-worker-pool-size`).
 */
export class WorkerPool {
  private readonly queue: Array<() => Promise<void>> = [];
  private busy = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError('worker pool size must be a positive integer');
  }

  /** Jobs waiting for a worker. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `job` on the next free worker; resolves or rejects with its result. */
  execute<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => job().then(resolve, reject));
      this.drain();
    });
  }

  private drain(): void {
    while (this.busy < this.size && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.busy++;
      void job().finally(() => {
        this.busy--;
        this.drain();
      });
    }
  }
}
