// `tsx bench/instructions.ts [subject...]`: instructions the server process retires per request
// (valgrind's callgrind; all threads, so TurboFan and GC helper threads count), for the subjects of
// server.ts (default: bare als noop crosstrace). Unlike CPU time, an instruction count does not move
// with the machine's load. Each subject runs under callgrind with instrumentation off, takes
// BENCH_IR_WARMUP requests (default 20,000: TurboFan has compiled the hot paths by then), then
// counts the instructions of the next BENCH_IR_REQUESTS (default 5,000) on the same 20 connections.
// BENCH_IR_PERF_MAP=1 runs node with --perf-basic-prof, so the JIT code addresses in the callgrind
// output can be named from /tmp/perf-<pid>.map.
// Needs valgrind (`apt-get install -y valgrind`); slow: about a minute per subject.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const warmup = Number(process.env.BENCH_IR_WARMUP ?? 20_000);
const requests = Number(process.env.BENCH_IR_REQUESTS ?? 5_000);
const subjects =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['bare', 'als', 'noop', 'crosstrace'];
// BENCH_IR_SERVER: another checkout's server.ts (the same subjects), to compare two versions
const serverPath = process.env.BENCH_IR_SERVER ?? fileURLToPath(new URL('./server.ts', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'ct-callgrind-'));

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code}`)),
    );
  });
}

async function load(port: number, amount: number): Promise<void> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/customer/123`, connections: 20, amount });
  if (result.non2xx > 0 || result.errors > 0) throw new Error('non-2xx responses or errors');
}

/** Instructions per request: all threads, and the main (JavaScript) thread alone. */
async function count(subject: string): Promise<{ total: number; main: number; pid: number | undefined }> {
  const out = join(outDir, `${subject}.out`);
  const pin = process.env.BENCH_PIN;
  const args = [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--smc-check=all-non-file',
    '--separate-threads=yes',
    `--callgrind-out-file=${out}`,
    process.execPath,
    // --perf-basic-prof also writes V8's log: into the output folder, not the working directory
    ...(process.env.BENCH_IR_PERF_MAP
      ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(outDir, `${subject}-v8.log`)}`]
      : []),
    '--conditions=crosstrace-source',
    '--import',
    'tsx',
    serverPath,
    subject,
  ];
  const child = spawn(pin ? 'taskset' : 'valgrind', pin ? ['-c', pin, 'valgrind', ...args] : args, {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let text = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /PORT (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${subject} exited with ${code}`)));
  });
  await load(port, warmup);
  await run('callgrind_control', ['-i', 'on', String(child.pid)]);
  await load(port, requests);
  await run('callgrind_control', ['-i', 'off', String(child.pid)]);
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  let total = 0;
  let main = 0;
  for (const f of readdirSync(outDir).filter((f) => f.startsWith(`${subject}.out`))) {
    const text = readFileSync(join(outDir, f), 'utf8');
    const m = /^totals:\s+(\d+)/m.exec(text);
    if (m === null) continue;
    total += Number(m[1]);
    if (/^thread: 1$/m.test(text)) main = Number(m[1]);
  }
  return { total: total / requests, main: main / requests, pid: child.pid };
}

for (const subject of subjects) {
  const { total, main, pid } = await count(subject);
  const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(9);
  process.stdout.write(
    `${subject.padEnd(11)} ${fmt(total)} instructions/request, ${fmt(main)} on the main thread (pid ${pid})\n`,
  );
}
process.stdout.write(`(callgrind output in ${outDir})\n`);
