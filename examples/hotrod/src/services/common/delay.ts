// Simulated latencies: a normal distribution as the original's `delay.Sleep` (math/rand's
// NormFloat64 × stdDev + mean, at least 1 ns there; here at least 0 ms).
import { setTimeout as sleep } from 'node:timers/promises';

/** A standard normal variate (Box–Muller), from `random` (default Math.random). */
export function normal(random: () => number = Math.random): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** N(mean, stdDev) in ms, never negative. */
export function normalMs(meanMs: number, stdDevMs: number, random?: () => number): number {
  return Math.max(0, normal(random) * stdDevMs + meanMs);
}

/** Sleeps N(mean, stdDev) ms; resolves at once when both are 0 (the fix flags' "no delay"). */
export function sleepNormal(meanMs: number, stdDevMs: number): Promise<void> {
  const ms = normalMs(meanMs, stdDevMs);
  return ms <= 0 ? Promise.resolve() : sleep(ms).then(() => undefined);
}
