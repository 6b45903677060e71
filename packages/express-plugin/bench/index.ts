// `pnpm bench`: requests/s of a small Express 5 app, bare vs with crosstrace() vs with the OTel
// instrumentation-http + instrumentation-express on the OTel SDK. Each subject runs in its own
// child process; autocannon (in this process) loads it on loopback. Subjects alternate over
// rounds and the median is kept, so all see the same machine state.
// Both traced subjects export through a BatchSpanProcessor (default settings: 2048 queue, batches
// of 512, 5 s delay) into the same no-op exporter: crosstrace's own processor vs the OTel SDK's.
// BENCH_DURATION (s per run, default 5), BENCH_WARMUP (s of load before it, default 5), BENCH_ROUNDS
// (default 3), BENCH_CONNECTIONS (default 20),
// BENCH_FLOOR=1 adds `als`: bare Express plus one AsyncLocalStorage.run per request, the context
// propagation cost any tracer pays on Node 20. BENCH_CPU_PROF=<dir> runs the servers under
// `node --cpu-prof` (profiles in <dir>, one per subject and round). BENCH_PIN=<cpu> runs each server
// under `taskset -c <cpu>` (start the runner itself on another CPU: `taskset -c 0 pnpm bench`).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, report } from '../../../scripts/bench/record.js';

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
// Seconds of load before measuring. The first few thousand requests run mostly unoptimized code and
// pay for TurboFan compiling it (on a background thread, counted in the process's CPU time): the
// bare app spends about 1.1M instructions per request over its first 3,000 requests and 0.64M once
// warm (callgrind). 5 s is past that for every subject here.
const warmup = Number(process.env.BENCH_WARMUP ?? 5);
const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));
const cpuProfDir = process.env.BENCH_CPU_PROF;
const allVariants = ['bare', 'als', 'crosstrace', 'otel'] as const;
type Variant = (typeof allVariants)[number];
const variants: readonly Variant[] = allVariants.filter(
  (v) => v !== 'als' || process.env.BENCH_FLOOR === '1',
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

async function load(port: number, seconds: number): Promise<{ average: number; total: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/customer/123`,
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`non-2xx responses (${result.non2xx}) or errors (${result.errors})`);
  }
  return { average: result.requests.average, total: result.requests.total };
}

async function cpuMicros(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/__cpu`);
  return ((await res.json()) as { micros: number }).micros;
}

const samples: Record<Variant, number[]> = { bare: [], als: [], crosstrace: [], otel: [] };
const cpuSamples: Record<Variant, number[]> = { bare: [], als: [], crosstrace: [], otel: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const subject = await start(variant);
    let rps: number;
    let cpuPerRequest: number;
    try {
      await load(subject.port, warmup); // warm-up: JIT, connection pool
      const cpuBefore = await cpuMicros(subject.port);
      const result = await load(subject.port, duration);
      cpuPerRequest = ((await cpuMicros(subject.port)) - cpuBefore) / result.total;
      rps = result.average;
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

const bare = median(samples.bare);
const ours = median(samples.crosstrace);
const otel = median(samples.otel);
const loss = ((bare - ours) / bare) * 100;
const cpuBare = median(cpuSamples.bare);
const cpuOurs = median(cpuSamples.crosstrace);
const cpuOtel = median(cpuSamples.otel);
report([
  {
    package: '@crosstrace/express-plugin',
    benchmark: 'express req/s, crosstrace() vs bare',
    ours,
    peer: bare,
    peerName: 'bare express',
    unit: 'req/s',
    higherIsBetter: true,
    note: `throughput loss ${loss.toFixed(1)}% (target ≤ 5%)`,
  },
  {
    package: '@crosstrace/express-plugin',
    benchmark: 'express req/s, crosstrace() vs OTel',
    ours,
    peer: otel,
    peerName: 'OTel instrumentation-http+express',
    unit: 'req/s',
    higherIsBetter: true,
  },
  {
    package: '@crosstrace/express-plugin',
    benchmark: 'server CPU per request, crosstrace() vs bare',
    ours: cpuOurs,
    peer: cpuBare,
    peerName: 'bare express',
    unit: 'µs/req',
    higherIsBetter: false,
    note: `tracing adds ${(cpuOurs - cpuBare).toFixed(1)} µs/request`,
  },
  {
    package: '@crosstrace/express-plugin',
    benchmark: 'server CPU per request, crosstrace() vs OTel',
    ours: cpuOurs,
    peer: cpuOtel,
    peerName: 'OTel instrumentation-http+express',
    unit: 'µs/req',
    higherIsBetter: false,
  },
]);
if (samples.als.length > 0) {
  const cpuFloor = median(cpuSamples.als);
  process.stdout.write(
    `context floor (bare + AsyncLocalStorage.run): ${Math.round(median(samples.als))} req/s, ${cpuFloor.toFixed(1)} µs CPU/request (+${(cpuFloor - cpuBare).toFixed(1)} µs over bare)\n`,
  );
}
process.stdout.write(
  `throughput loss against bare: ${loss.toFixed(1)}%; CPU per request: bare ${cpuBare.toFixed(1)} µs, ` +
    `crosstrace ${cpuOurs.toFixed(1)} µs (+${(((cpuOurs - cpuBare) / cpuBare) * 100).toFixed(1)}%), ` +
    `OTel ${cpuOtel.toFixed(1)} µs (+${(((cpuOtel - cpuBare) / cpuBare) * 100).toFixed(1)}%)\n`,
);
