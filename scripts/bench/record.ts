// Shared by every package's bench/: measure against a peer in the same process run, report ratios.
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One row of the `pnpm bench` table. */
export interface BenchRow {
  package: string;
  benchmark: string;
  /** This project's figure. */
  ours: number;
  /** The peer's figure, measured in the same run; undefined when the row has no peer. */
  peer?: number;
  peerName?: string;
  unit: string;
  /** True for throughput-like units (ops/s), false for costs (µs/op, bytes). */
  higherIsBetter: boolean;
  note?: string;
}

/** How many times better ours is than the peer (>1 = ours better); undefined without a peer. */
export function advantage(row: BenchRow): number | undefined {
  if (row.peer === undefined || row.peer === 0 || row.ours === 0) return undefined;
  return row.higherIsBetter ? row.ours / row.peer : row.peer / row.ours;
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '-';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** What the figures were measured on: the Node that ran them (the `node` on PATH) and the CPU. */
export function runtimeLine(): string {
  const cpu = cpus();
  return `Node ${process.version} (V8 ${process.versions.v8}), ${process.platform}-${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`;
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['package', 'benchmark', 'ours', 'peer', 'peer figure', 'unit', 'ours vs peer'];
  const body = rows.map((r) => {
    const a = advantage(r);
    return [
      r.package,
      r.benchmark,
      fmt(r.ours),
      r.peerName ?? '-',
      fmt(r.peer),
      r.unit,
      a === undefined ? '-' : `${a.toFixed(2)}× ${a >= 1 ? 'better' : 'worse'}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [runtimeLine(), '', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join(
    '\n',
  );
}

/** Prints the rows and, under `pnpm bench` at the root, hands them to the combined table. */
export function report(rows: BenchRow[]): void {
  process.stdout.write(`${formatTable(rows)}\n`);
  const out = process.env.CROSSTRACE_BENCH_OUT;
  if (out) appendFileSync(out, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/**
 * Runs `fn` (which performs `opsPerCall` operations) for at least `minMs` and returns ns per
 * operation. Call it alternately for ours and the peer, several rounds, and keep the median.
 */
export async function nsPerOp(
  fn: () => unknown | Promise<unknown>,
  opsPerCall: number,
  minMs = 300,
): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(minMs) * 1_000_000n;
  let ops = 0;
  let now = start;
  while (now < deadline) {
    const r = fn();
    if (r instanceof Promise) await r;
    ops += opsPerCall;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / ops;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Interleaves ours and the peer over `rounds` rounds (warm-up first) and returns median ns/op for
 * each, so both see the same machine state.
 */
export async function compareNsPerOp(
  subjects: Record<string, () => unknown | Promise<unknown>>,
  opts: { opsPerCall?: number; rounds?: number; minMs?: number } = {},
): Promise<Record<string, number>> {
  const { opsPerCall = 1, rounds = 5, minMs = 300 } = opts;
  const names = Object.keys(subjects);
  for (const n of names) await nsPerOp(subjects[n], opsPerCall, 100);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) samples[n].push(await nsPerOp(subjects[n], opsPerCall, minMs));
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}
