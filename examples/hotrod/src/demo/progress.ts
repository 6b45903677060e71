import type { Writable } from 'node:stream';
import type { LoadResult } from './load.js';

/**
 * The demo's progress: on a terminal, one line redrawn in place — a bar over the planned
 * duration, the phase, requests and 5xx so far; elsewhere, one line per phase change.
 */
export class Progress {
  private phase = 'starting';
  private requests = 0;
  private errors5xx = 0;
  private started = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly plannedMs: number,
    private readonly enabled = true,
  ) {
    this.tty = out.isTTY === true;
  }

  start(): void {
    this.started = Date.now();
    if (this.enabled && this.tty) this.timer = setInterval(() => this.draw(), 200);
  }

  result(r: LoadResult): void {
    this.requests++;
    if (r.status >= 500 || r.status === 0) this.errors5xx++;
  }

  /** A new phase ("rollout: frontend-7d… ready"), printed as its own line off a terminal. */
  setPhase(phase: string): void {
    this.phase = phase;
    if (!this.enabled) return;
    if (this.tty) this.draw();
    else this.out.write(`  ${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)} s  ${phase}\n`);
  }

  private draw(): void {
    const elapsed = Date.now() - this.started;
    const fraction = Math.min(1, elapsed / this.plannedMs);
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = ` ${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  ${this.requests} requests  ${this.errors5xx} × 5xx  ${this.phase}`;
    const cols = this.out.columns ?? 120;
    this.out.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
  }

  /** Ends the line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled && this.tty) {
      this.draw();
      this.out.write('\n');
    }
  }
}
