// `pnpm bench`: requests/s of the demo's own /dispatch (frontend → customer + mysql, driver over
// gRPC + redis-manual, ten route calls), traced with crosstrace vs the same services without any
// instrumentation, in one run. Each subject runs in its own child process (all four services in
// it, as the original's `all`); autocannon (in this process) loads it on loopback. Subjects
// alternate over rounds and the medians are kept, so both see the same machine state. The
// services run with every simulated latency at 0 (the fix flags, plus zero redis and route
// delays) — otherwise a /dispatch waits ~500 ms on timers and tracing cost would not show.
// BENCH_DURATION (s per run, default 5), BENCH_WARMUP (s, default 3), BENCH_ROUNDS (default 3),
// BENCH_CONNECTIONS (default 10).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, report } from '../../../scripts/bench/record.js';

const duration = Number(process.env.BENCH_DURATION ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const serverPath = fileURLToPath(new URL('./server.ts', import.meta.url));
const variants = ['untraced', 'traced'] as const;
type Variant = (typeof variants)[number];

interface Subject {
  child: ChildProcess;
  port: number;
  cpuPort: number;
  output: () => string;
}

async function start(variant: Variant): Promise<Subject> {
  const child = spawn(
    process.execPath,
    ['--conditions=crosstrace-source', '--import', 'tsx', serverPath, variant],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [port, cpuPort] = await new Promise<[number, number]>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const m = /PORT (\d+) CPU (\d+)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { child, port, cpuPort, output: () => out };
}

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
    url: `http://127.0.0.1:${port}/dispatch?customer=123`,
    connections,
    duration: seconds,
    headers: { baggage: 'session=1, request=1-1' },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`non-2xx responses (${result.non2xx}) or errors (${result.errors})`);
  }
  return { average: result.requests.average, total: result.requests.total };
}

async function cpuMicros(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return ((await res.json()) as { micros: number }).micros;
}

const rps: Record<Variant, number[]> = { untraced: [], traced: [] };
const cpu: Record<Variant, number[]> = { untraced: [], traced: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const subject = await start(variant);
    let r: { average: number; total: number };
    let cpuPerRequest: number;
    try {
      await load(subject.port, warmup);
      const before = await cpuMicros(subject.cpuPort);
      r = await load(subject.port, duration);
      cpuPerRequest = ((await cpuMicros(subject.cpuPort)) - before) / r.total;
    } catch (err) {
      await stop(subject);
      throw err;
    }
    const spans = await stop(subject);
    process.stdout.write(
      `round ${round + 1} ${variant}: ${Math.round(r.average)} req/s, ${cpuPerRequest.toFixed(0)} µs CPU/dispatch, ${spans} spans exported\n`,
    );
    if (variant === 'traced' && spans <= 0)
      throw new Error('traced: no spans exported, the subject did not trace');
    rps[variant].push(r.average);
    cpu[variant].push(cpuPerRequest);
  }
}

const ours = median(rps.traced);
const bare = median(rps.untraced);
const cpuOurs = median(cpu.traced);
const cpuBare = median(cpu.untraced);
report([
  {
    package: '@crosstrace/hotrod',
    benchmark: '/dispatch req/s (≈28 spans each), traced vs untraced',
    ours,
    peer: bare,
    peerName: 'same services, no instrumentation',
    unit: 'req/s',
    higherIsBetter: true,
    note: `tracing costs ${(((bare - ours) / bare) * 100).toFixed(1)}% of throughput`,
  },
  {
    package: '@crosstrace/hotrod',
    benchmark: 'CPU per /dispatch (all four services), traced vs untraced',
    ours: cpuOurs,
    peer: cpuBare,
    peerName: 'same services, no instrumentation',
    unit: 'µs/dispatch',
    higherIsBetter: false,
    note: `tracing adds ${(cpuOurs - cpuBare).toFixed(0)} µs per dispatch`,
  },
]);
