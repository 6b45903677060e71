import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchRow, report } from '../../../scripts/bench/record.js';
import { encodeTracesProtobuf } from '../src/exporters/index.js';
import { type CliProcess, startCli } from './cli.js';
import { BATCH, generator, PKG } from './workload.js';

const CLIENTS = Number(process.env.CROSSTRACE_BENCH_FORWARD_CLIENTS ?? 4);
const BATCHES = Number(process.env.CROSSTRACE_BENCH_FORWARD_BATCHES ?? 200);

function post(
  agent: Agent,
  port: number,
  path: string,
  body?: Uint8Array,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        agent,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends every body with CLIENTS clients, retrying 429/503; seconds until the last answer. */
async function send(port: number, bodies: readonly Uint8Array[]): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let next = 0;
  const t0 = process.hrtime.bigint();
  const client = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const { status } = await post(agent, port, '/v1/traces', body);
        if (status === 200) break;
        if (status !== 429 && status !== 503) throw new Error(`answered ${status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  agent.destroy();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function storedOn(port: number): Promise<number> {
  const agent = new Agent({ keepAlive: false });
  const { text } = await post(agent, port, '/metrics');
  let n = 0;
  for (const m of text.matchAll(/^crosstrace_spans_stored_total\{[^}]*\} ([0-9.e+]+)$/gm)) n += Number(m[1]);
  return n;
}

async function stop(cli: CliProcess): Promise<void> {
  const exited = new Promise((r) => cli.child.once('exit', r));
  cli.child.kill('SIGTERM');
  await exited;
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-forward-bench-'));
  const gen = generator(BATCHES * BATCH, Date.now() - 3_600_000);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < BATCHES; i++) bodies.push(encodeTracesProtobuf(gen.batch()));
  const total = BATCHES * BATCH;
  try {
    const direct: number[] = [];
    const forwarded: number[] = [];
    const acked: number[] = [];
    // direct, forwarded, direct, forwarded: each run on fresh files
    for (let round = 0; round < 2; round++) {
      const g = await startCli(['--storage', `sqlite:${join(dir, `direct-${round}.db`)}`]);
      direct.push(total / (await send(g.http, bodies)));
      await stop(g);

      const gw = await startCli(['--storage', `sqlite:${join(dir, `gateway-${round}.db`)}`]);
      const agent = await startCli([
        '--mode',
        'agent',
        '--gateways',
        `127.0.0.1:${gw.grpc}`,
        '--queue-path',
        join(dir, `queue-${round}.db`),
      ]);
      const t0 = process.hrtime.bigint();
      acked.push(total / (await send(agent.http, bodies)));
      while ((await storedOn(gw.http)) < total) await new Promise((r) => setTimeout(r, 50));
      forwarded.push(total / (Number(process.hrtime.bigint() - t0) / 1e9));
      await stop(agent);
      await stop(gw);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const note = `${CLIENTS} clients × ${BATCHES} batches of ${BATCH} spans, two alternating rounds (${direct.map((x) => Math.round(x)).join(', ')} direct; ${forwarded.map((x) => Math.round(x)).join(', ')} forwarded)`;
    const rows: BenchRow[] = [
      {
        package: PKG,
        benchmark: 'agent → gateway forwarding, end to end (stored on the gateway)',
        ours: mean(forwarded),
        peer: mean(direct),
        peerName: 'direct OTLP/HTTP ingest into the gateway',
        unit: 'spans/s',
        higherIsBetter: true,
        note,
      },
      {
        package: PKG,
        benchmark: 'agent acknowledgement rate (batch on the agent’s disk queue)',
        ours: mean(acked),
        peer: mean(direct),
        peerName: 'direct OTLP/HTTP ingest into the gateway',
        unit: 'spans/s',
        higherIsBetter: true,
        note: 'what a client sees of the agent; the gateway catches up behind the queue',
      },
    ];
    report(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
