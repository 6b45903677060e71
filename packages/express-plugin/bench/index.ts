// `pnpm bench`: requests/s and server CPU per request of a small Express 5 app in four subjects:
// bare; bare plus one AsyncLocalStorage.run per request (`als`, the context-propagation floor every
// in-process tracer pays); with crosstrace(); with the OTel instrumentation-http +
// instrumentation-express on the OTel SDK. Each subject runs in its own child process; autocannon
// (in this process) loads it on loopback. Subjects alternate over rounds and the median is kept, so
// all see the same machine state.
// Both traced subjects export through a BatchSpanProcessor (default settings: 2048 queue, batches
// of 512, 5 s delay) into the same no-op exporter: crosstrace's own processor vs the OTel SDK's.
// BENCH_DURATION (s per run, default 5), BENCH_WARMUP (s of load before it, default 5, or about
// 20,000 requests with BENCH_RATE), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 20),
// BENCH_FLOOR=0 leaves `als` out. BENCH_RATE=<req/s> offers every subject the same fixed request
// rate instead of as many as it answers: the server's CPU per request depends on how many requests
// each event-loop turn handles, so on a shared machine, where a slower subject gets fewer per turn,
// CPU per request is compared at equal throughput (the req/s rows are then left out).
// BENCH_CPU_PROF=<dir> runs the servers under `node --cpu-prof` (profiles in <dir>, one per subject
// and round). BENCH_PIN=<cpu> runs each server under `taskset -c <cpu>` (start the runner itself on
// another CPU: `taskset -c 0 pnpm bench`).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { type BenchRow, median, report } from '../../../scripts/bench/record.js';

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const rate = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
if (rate !== undefined && !(Number.isInteger(rate) && rate > 0)) {
  throw new Error(
    `BENCH_RATE must be a positive integer (requests per second), got ${process.env.BENCH_RATE}`,
  );
}
// Seconds of load before measuring (BENCH_WARMUP). The first few thousand requests run mostly
// unoptimized code and pay for TurboFan compiling it (on a background thread, counted in the
// process's CPU time): the bare app spends about 1.1M instructions per request over its first 3,000
// requests and 0.64M once warm (callgrind). Compilation follows invocation counts, so the default is
// 5 s at full load and about 20,000 requests at a fixed rate (at 1,000 req/s TurboFan was still
// compiling node:http and crosstrace functions 10–15 s into the load, more for the subject with more
// code).
const warmup = Number(
  process.env.BENCH_WARMUP ?? (rate === undefined ? 5 : Math.max(5, Math.ceil(20_000 / rate))),
);
const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));
const cpuProfDir = process.env.BENCH_CPU_PROF;
const allVariants = ['bare', 'als', 'crosstrace', 'otel'] as const;
type Variant = (typeof allVariants)[number];
const variants: readonly Variant[] = allVariants.filter(
  (v) => v !== 'als' || process.env.BENCH_FLOOR !== '0',
);

interface Subject {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function start(variant: Variant): Promise<Subject> {
  const pin = process.env.BENCH_PIN;
  const child = spawn(
    pin ? 'taskset' : process.execPath,
    [
      ...(pin ? ['-c', pin, process.execPath] : []),
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      '--conditions=crosstrace-source',
      '--import',
      'tsx',
      serverPath,
      variant,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { child, port, output: () => out };
}

/** Stops the subject and returns how many spans it exported. */
async function stop(subject: Subject): Promise<number> {
  const { child } = subject;
  if (child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  const m = /SPANS (\d+)/.exec(subject.output());
  return m ? Number(m[1]) : -1;
}

/** What one measured window gave: requests answered in it and the server's CPU time spent. */
interface Window {
  requests: number;
  seconds: number;
  cpuMicros: number;
}

/**
 * Loads the subject for `warmup + duration` seconds on the same connections and measures the last
 * `duration` seconds: requests answered and the server's CPU time between two readings taken while
 * the load runs. One continuous run: closing the warm-up's connections and opening new ones
 * deoptimizes node:http's connection and stream functions, which then compile again inside the
 * measured window (on a loaded machine that compilation alone was several µs per request).
 */
async function measure(subject: Subject): Promise<Window> {
  let answered = 0;
  let failed = 0;
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${subject.port}/customer/123`,
        connections,
        duration: warmup + duration + 1,
        ...(rate === undefined ? {} : { overallRate: rate }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance?.on('response', (_client, statusCode) => {
    if (statusCode >= 200 && statusCode < 300) answered++;
    else failed++;
  });
  const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  await sleep(warmup);
  const cpuBefore = await cpuMicros(subject);
  const answeredBefore = answered;
  const startedAt = process.hrtime.bigint();
  await sleep(duration);
  const cpuAfter = await cpuMicros(subject);
  const requests = answered - answeredBefore;
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const result = await done;
  if (failed > 0 || result.non2xx > 0 || result.errors > 0) {
    throw new Error(`non-2xx responses (${failed + result.non2xx}) or errors (${result.errors})`);
  }
  return { requests, seconds, cpuMicros: cpuAfter - cpuBefore };
}

/** The server's CPU time so far (user + system, µs), asked for with SIGUSR2 (see server.ts). */
async function cpuMicros(subject: Subject): Promise<number> {
  const seen = subject.output().length;
  subject.child.kill('SIGUSR2');
  for (;;) {
    const m = /CPU (\d+)\n/.exec(subject.output().slice(seen));
    if (m) return Number(m[1]);
    if (subject.child.exitCode !== null) throw new Error('the server exited before reporting its CPU time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const samples: Record<Variant, number[]> = { bare: [], als: [], crosstrace: [], otel: [] };
const cpuSamples: Record<Variant, number[]> = { bare: [], als: [], crosstrace: [], otel: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const subject = await start(variant);
    let rps: number;
    let cpuPerRequest: number;
    try {
      const window = await measure(subject);
      cpuPerRequest = window.cpuMicros / window.requests;
      rps = window.requests / window.seconds;
    } catch (err) {
      await stop(subject);
      throw err;
    }
    const spans = await stop(subject);
    process.stdout.write(
      `round ${round + 1} ${variant}: ${Math.round(rps)} req/s, ${cpuPerRequest.toFixed(1)} µs CPU/request, ${spans} spans exported\n`,
    );
    if ((variant === 'crosstrace' || variant === 'otel') && spans <= 0) {
      throw new Error(`${variant}: no spans exported, the subject did not trace`);
    }
    samples[variant].push(rps);
    cpuSamples[variant].push(cpuPerRequest);
  }
}

/** The targets for crosstrace, against bare Express, the AsyncLocalStorage floor and OTel. */
const TARGET_VS_BARE = 0.85;
const TARGET_VS_OTEL = 2.5;
const TARGET_OVER_FLOOR_MICROS = 4;
const signed = (n: number) => `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(1)}`;

const bare = median(samples.bare);
const ours = median(samples.crosstrace);
const otel = median(samples.otel);
const cpuBare = median(cpuSamples.bare);
const cpuOurs = median(cpuSamples.crosstrace);
const cpuOtel = median(cpuSamples.otel);
const hasFloor = samples.als.length > 0;
const cpuFloor = hasFloor ? median(cpuSamples.als) : undefined;
const rows: BenchRow[] = [];
if (rate === undefined) {
  rows.push(
    {
      package: '@crosstrace/express-plugin',
      benchmark: 'express req/s, crosstrace() vs bare',
      ours,
      peer: bare,
      peerName: 'bare express',
      unit: 'req/s',
      higherIsBetter: true,
      note: `target ≥ ${TARGET_VS_BARE}× bare`,
    },
    {
      package: '@crosstrace/express-plugin',
      benchmark: 'express req/s, crosstrace() vs OTel',
      ours,
      peer: otel,
      peerName: 'OTel instrumentation-http+express',
      unit: 'req/s',
      higherIsBetter: true,
      note: `target ≥ ${TARGET_VS_OTEL}× OTel`,
    },
  );
}
const atRate = rate === undefined ? '' : ` at ${rate} req/s`;
rows.push({
  package: '@crosstrace/express-plugin',
  benchmark: `server CPU per request${atRate}, crosstrace() vs bare`,
  ours: cpuOurs,
  peer: cpuBare,
  peerName: 'bare express',
  unit: 'µs/req',
  higherIsBetter: false,
  note: `tracing adds ${signed(cpuOurs - cpuBare)} µs/request`,
});
if (cpuFloor !== undefined) {
  rows.push({
    package: '@crosstrace/express-plugin',
    benchmark: `server CPU per request${atRate}, crosstrace() vs AsyncLocalStorage floor`,
    ours: cpuOurs,
    peer: cpuFloor,
    peerName: 'bare + AsyncLocalStorage.run',
    unit: 'µs/req',
    higherIsBetter: false,
    note: `crosstrace adds ${signed(cpuOurs - cpuFloor)} µs/request over the floor (target ≤ ${TARGET_OVER_FLOOR_MICROS} µs)`,
  });
}
rows.push({
  package: '@crosstrace/express-plugin',
  benchmark: `server CPU per request${atRate}, crosstrace() vs OTel`,
  ours: cpuOurs,
  peer: cpuOtel,
  peerName: 'OTel instrumentation-http+express',
  unit: 'µs/req',
  higherIsBetter: false,
});
report(rows);

/** `median (min–max)` of one subject's rounds: how far apart its rounds were on this machine. */
function spread(values: number[], digits: number): string {
  const fmt = (n: number) => n.toFixed(digits);
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

process.stdout.write('\nmedian (min–max) over the rounds:\n');
for (const variant of variants) {
  process.stdout.write(
    `  ${variant.padEnd(10)} ${spread(samples[variant], 0).padEnd(22)} req/s   ${spread(cpuSamples[variant], 1)} µs CPU/request\n`,
  );
}
const verdict = (ok: boolean) => (ok ? 'met' : 'not met');

if (rate !== undefined) {
  // a subject that answered clearly fewer than offered ran saturated: its CPU figure is not at the rate
  for (const variant of variants) {
    const answered = median(samples[variant]);
    if (answered < 0.95 * rate) {
      process.stdout.write(
        `  ${variant} answered ${Math.round(answered)} of ${rate} req/s offered: saturated, lower BENCH_RATE\n`,
      );
    }
  }
}
const throughput =
  rate === undefined
    ? `${(ours / bare).toFixed(2)}× bare req/s (target ≥ ${TARGET_VS_BARE}: ${verdict(ours / bare >= TARGET_VS_BARE)}), ` +
      `${(ours / otel).toFixed(2)}× OTel req/s (target ≥ ${TARGET_VS_OTEL}: ${verdict(ours / otel >= TARGET_VS_OTEL)}), `
    : `at ${rate} req/s offered, `;
process.stdout.write(
  `crosstrace: ${throughput}` +
    `${signed(cpuOurs - cpuBare)} µs CPU/request over bare` +
    (cpuFloor === undefined
      ? '\n'
      : `, ${signed(cpuOurs - cpuFloor)} µs over the AsyncLocalStorage floor (target ≤ ${TARGET_OVER_FLOOR_MICROS}: ${verdict(cpuOurs - cpuFloor <= TARGET_OVER_FLOOR_MICROS)}; the floor is ${signed(cpuFloor - cpuBare)} µs over bare)\n`),
);
