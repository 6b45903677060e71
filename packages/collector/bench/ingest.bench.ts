import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { type BenchRow, compareNsPerOp, report } from '../../../scripts/bench/record.js';
import { decodeTracesProtobuf } from '../src/receivers/otlp/index.js';
import { ExportTraceServiceRequest } from '../test/helpers/proto.js';
import { startCli } from './cli.js';

const PKG = '@crosstrace/collector';
const BATCH = 512;
const CLIENTS = Number(process.env.CROSSTRACE_BENCH_INGEST_CLIENTS ?? 4);
const BATCHES = Number(process.env.CROSSTRACE_BENCH_INGEST_BATCHES ?? 400);
const SERVICES = ['frontend', 'customer', 'driver', 'route', 'redis', 'mysql'];

const Request = ExportTraceServiceRequest;

interface Row {
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer;
  name: string;
  service: string;
  start: bigint;
  end: bigint;
  attrs: { key: string; value: { stringValue?: string; intValue?: number } }[];
}

function makeBatch(n: number): { body: Buffer; rows: Row[] } {
  const service = SERVICES[n % SERVICES.length];
  const rows: Row[] = [];
  const base = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < BATCH; i++) {
    const traceId = i % 8 === 0 || rows.length === 0 ? randomBytes(16) : rows[rows.length - 1].traceId;
    rows.push({
      traceId,
      spanId: randomBytes(8),
      parentSpanId: i % 8 === 0 ? Buffer.alloc(0) : rows[rows.length - 1].spanId,
      name: `GET /api/${i % 17}`,
      service,
      start: base + BigInt(i) * 1000n,
      end: base + BigInt(i) * 1000n + 250_000n,
      attrs: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: `/api/${i % 17}` } },
        { key: 'http.status_code', value: { intValue: 200 } },
        { key: 'net.peer.ip', value: { stringValue: `10.0.${n % 256}.${i % 256}` } },
      ],
    });
  }
  const spans = rows.map((r) => ({
    traceId: r.traceId,
    spanId: r.spanId,
    parentSpanId: r.parentSpanId,
    name: r.name,
    kind: 2,
    startTimeUnixNano: r.start.toString(),
    endTimeUnixNano: r.end.toString(),
    attributes: r.attrs,
  }));
  const message = Request.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  });
  return { body: Buffer.from(Request.encode(message).finish()), rows };
}

function post(agent: Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function ours(bodies: Buffer[], dir: string): Promise<{ spansPerSec: number; retries: number }> {
  const { child, http: port } = await startCli([
    '--storage',
    `sqlite:${join(dir, 'ours.db')}`,
    '--otlp-grpc-port',
    '-1',
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let next = 0;
  let retries = 0;
  const started = process.hrtime.bigint();
  async function client(): Promise<void> {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const status = await post(agent, port, body);
        if (status === 200) break;
        if (status !== 429 && status !== 503) throw new Error(`collector answered ${status}`);
        retries++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return { spansPerSec: (bodies.length * BATCH) / seconds, retries };
}

function peer(batches: Row[][], dir: string): number {
  const db = new Database(join(dir, 'peer.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE spans (trace_id BLOB NOT NULL, span_id BLOB NOT NULL, parent_id BLOB, name TEXT,
    service TEXT, start_ns INTEGER, duration_ns INTEGER, attrs TEXT);
    CREATE INDEX spans_trace ON spans (trace_id);`);
  db.defaultSafeIntegers(true);
  const insert = db.prepare('INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((rows: Row[]) => {
    for (const r of rows) {
      insert.run(
        r.traceId,
        r.spanId,
        r.parentSpanId,
        r.name,
        r.service,
        r.start,
        r.end - r.start,
        JSON.stringify(r.attrs),
      );
    }
  });
  const started = process.hrtime.bigint();
  for (const rows of batches) tx(rows);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return (batches.length * BATCH) / seconds;
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crosstrace-ingest-bench-'));
  try {
    const made = Array.from({ length: BATCHES }, (_, i) => makeBatch(i));
    const bodies = made.map((m) => m.body);
    const peerRate = peer(
      made.map((m) => m.rows),
      dir,
    );
    const { spansPerSec, retries } = await ours(bodies, dir);
    const sample = bodies.slice(0, 20);
    let k = 0;
    const decode = await compareNsPerOp(
      {
        ours: () => decodeTracesProtobuf(sample[k++ % sample.length]),
        peer: () => Request.decode(sample[k++ % sample.length]),
      },
      { opsPerCall: BATCH, rounds: 5, minMs: 200 },
    );
    const rows: BenchRow[] = [
      {
        package: PKG,
        benchmark: 'OTLP protobuf decode (512-span batch) into the span model',
        ours: 1e9 / decode.ours,
        peer: 1e9 / decode.peer,
        peerName: 'protobufjs decode (reflection codegen from the OTLP schema), no model conversion',
        unit: 'spans/s',
        higherIsBetter: true,
      },
      {
        package: PKG,
        benchmark: `sustained OTLP/HTTP protobuf ingest, ${CLIENTS} clients × ${BATCH}-span batches, durable before ack`,
        ours: spansPerSec,
        peer: peerRate,
        peerName: 'raw better-sqlite3 INSERT (1 index)',
        unit: 'spans/s',
        higherIsBetter: true,
        note: `${BATCHES * BATCH} spans; ${retries} retried 429/503`,
      },
    ];
    report(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
