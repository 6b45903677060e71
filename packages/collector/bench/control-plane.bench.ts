// The control-plane state on PostgreSQL against the state on SQLite, same run, same watch events:
// observations ingested as the k8s receivers do (addObservations, then flush: in the backend before
// the answer), batches of 500 Pod updates, rounds interleaved. Then, on PostgreSQL, how long until
// a second state on the same database (another gateway) holds what the first flushed (LISTEN/NOTIFY
// wake-up, polling off). CROSSTRACE_BENCH_CP_OBSERVATIONS (default 40 000) per backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchRow, report } from '../../../scripts/bench/record.js';
import {
  type ControlPlaneState,
  createControlPlaneState,
  type Observation,
  openControlPlaneState,
} from '../src/controlplane/index.js';
import { openPostgresControlPlaneStore } from '../src/storage/index.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { PKG, percentile } from './workload.js';

const BATCH = 500;
const PODS = 2000;

/** Watch events of PODS pods in a rollout: each update a new resourceVersion and readiness change. */
function batchOf(round: number, baseNs: bigint): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < BATCH; i++) {
    const n = round * BATCH + i;
    const p = n % PODS;
    const at = baseNs + BigInt(n) * 1_000_000n;
    out.push({
      type: n < PODS ? 'ADDED' : 'MODIFIED',
      arrivalNanos: at,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `web-${p}`,
          namespace: 'shop',
          uid: `uid-${p}`,
          resourceVersion: String(n + 1),
          creationTimestamp: '2026-01-10T12:00:00Z',
        },
        spec: { nodeName: `node-${p % 16}` },
        status: {
          podIP: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`,
          startTime: '2026-01-10T12:00:01Z',
          conditions: [
            {
              type: 'Ready',
              status: n % 2 === 0 ? 'True' : 'False',
              lastTransitionTime: new Date(Number(at / 1_000_000n)).toISOString(),
            },
          ],
        },
      },
    } as Observation);
  }
  return out;
}

async function ingest(cp: ControlPlaneState, round: number, baseNs: bigint): Promise<number> {
  const batch = batchOf(round, baseNs);
  const t0 = process.hrtime.bigint();
  cp.addObservations(batch);
  await cp.flush();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export default async function run(): Promise<void> {
  const total = Number(process.env.CROSSTRACE_BENCH_CP_OBSERVATIONS ?? 40_000);
  const rounds = Math.max(1, Math.floor(total / BATCH));
  const dir = mkdtempSync(join(tmpdir(), 'ct-cp-bench-'));
  const cluster = await startPostgres();
  try {
    const url = await cluster.createDatabase('ct_cp_bench');
    const sqlite = createControlPlaneState({ path: join(dir, 'cp.db') });
    const pg = await openControlPlaneState({ store: await openPostgresControlPlaneStore({ url }) });
    const peer = await openControlPlaneState({
      store: await openPostgresControlPlaneStore({ url }),
      pollIntervalMs: 0,
    });
    const baseNs = BigInt(Date.now()) * 1_000_000n;
    let sqliteMs = 0;
    let pgMs = 0;
    const visible: number[] = [];
    for (let r = 0; r < rounds; r++) {
      sqliteMs += await ingest(sqlite, r, baseNs);
      pgMs += await ingest(pg, r, baseNs);
      // the other gateway: until the last pod of the batch shows this round's version
      const last = batchOf(r, baseNs).at(-1)!;
      const key = String(last.object.metadata?.uid);
      const want = last.arrivalNanos!;
      const t0 = process.hrtime.bigint();
      while ((peer.pod(key)?.lastSeenNanos ?? 0n) < want) await new Promise((res) => setImmediate(res));
      visible.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const n = rounds * BATCH;
    await sqlite.close();
    await pg.close();
    await peer.close();
    const rows: BenchRow[] = [
      {
        package: PKG,
        benchmark: 'control-plane state on PostgreSQL: observations ingested (add + flush, 500 per batch)',
        ours: n / (pgMs / 1000),
        peer: n / (sqliteMs / 1000),
        peerName: 'state on SQLite, same events, interleaved',
        unit: 'obs/s',
        higherIsBetter: true,
        note: `${n.toLocaleString('en-US')} Pod watch events over ${PODS} pods in each`,
      },
      {
        package: PKG,
        benchmark: 'control-plane state on PostgreSQL: another gateway holds a flushed batch, p99',
        ours: percentile(visible, 99),
        unit: 'ms',
        higherIsBetter: false,
        note: `LISTEN/NOTIFY wake-up, polling off; p50 ${percentile(visible, 50).toFixed(2)} ms`,
      },
    ];
    report(rows);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
