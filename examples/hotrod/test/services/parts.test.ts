import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { defaultTuning, noDelayTuning, validateTuning } from '../../src/config.js';
import { normalMs } from '../../src/services/common/delay.js';
import { WorkerPool } from '../../src/services/common/worker-pool.js';
import { parseCustomerId } from '../../src/services/customer/customers.js';
import { ErrorSimulator } from '../../src/services/driver/redis.js';
import { goDuration } from '../../src/services/frontend/go-duration.js';

t.test('the error simulator fails the first call, then every fifth', async (t) => {
  const sim = new ErrorSimulator();
  const fails = Array.from({ length: 16 }, () => sim.next());
  t.same(
    fails.flatMap((f, i) => (f ? [i] : [])),
    [0, 5, 10, 15],
  );
});

t.test('the worker pool runs at most `size` jobs at once, in order', async (t) => {
  const pool = new WorkerPool(3);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const jobs = Array.from({ length: 10 }, (_, i) =>
    pool.execute(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
      return i * 2;
    }),
  );
  t.same(await Promise.all(jobs), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  t.equal(peak, 3);
  t.same(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await t.rejects(
    pool.execute(() => Promise.reject(new Error('boom'))),
    /boom/,
    'a failing job rejects',
  );
  t.equal(await pool.execute(async () => 'still works'), 'still works');
  t.throws(() => new WorkerPool(0));
});

t.test('customer ids', async (t) => {
  t.same(parseCustomerId('123'), { id: 123 });
  t.same(parseCustomerId(undefined), { error: "Missing required 'customer' parameter" });
  t.same(parseCustomerId(''), { error: "Missing required 'customer' parameter" });
  t.same(parseCustomerId('12a'), { error: "Parameter 'customer' is not an integer" });
  t.same(parseCustomerId('1.5'), { error: "Parameter 'customer' is not an integer" });
  t.same(parseCustomerId(['1', '2']), { error: "Missing required 'customer' parameter" });
});

t.test('durations print as Go prints them', async (t) => {
  t.equal(goDuration(3 * 60e9), '3m0s');
  t.equal(goDuration(61e9), '1m1s');
  t.equal(goDuration(3600e9 + 120e9), '1h2m0s');
  t.equal(goDuration(1.5e9), '1.5s');
  t.equal(goDuration(0), '0s');
});

t.test('normal delays', async (t) => {
  const samples = Array.from({ length: 4000 }, () => normalMs(300, 30));
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length);
  t.ok(Math.abs(mean - 300) < 3, `mean ${mean}`);
  t.ok(Math.abs(sd - 30) < 3, `sd ${sd}`);
  t.ok(
    Array.from({ length: 1000 }, () => normalMs(1, 10)).every((v) => v >= 0),
    'never negative',
  );
});

t.test('tunings', async (t) => {
  t.equal(validateTuning(defaultTuning()).mysqlGetDelayMs, 300);
  t.equal(validateTuning(noDelayTuning()).routeWorkerPoolSize, 10);
  t.throws(
    () => validateTuning({ ...defaultTuning(), routeWorkerPoolSize: 0 }),
    /--fix-route-worker-pool-size/,
  );
  t.throws(() => validateTuning({ ...defaultTuning(), mysqlGetDelayMs: -1 }), /mysqlGetDelayMs/);
});
