// First screen of the UI in headless Chromium: a 10,000-span and a 100,000-span trace, a search
// page of 1,500 results, and scrolling the 100,000-span trace. The peer is what any UI must do
// first in the same browser: download and JSON.parse the same API answer. Wall time and CPU time
// (Chromium's processes, from /proc): on a shared machine the first grows with the load, the
// second stays about what the work costs. Figures are reported, never asserted.
import { availableParallelism, loadavg } from 'node:os';
import { type BenchRow, report } from '../../../scripts/bench/record.js';
import { type Browser, launch } from '../test/helpers/browser.js';
import { startCollector } from '../test/helpers/collector.js';
import { chromiumCpuMs, ownCpuMs } from './process-cpu.js';
import { bigTrace, manyTraces, type OtlpRequest } from './synthetic-traces.js';

const RUNS = Number(process.env.CROSSTRACE_UI_BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Navigation start → the app's first-screen mark (set by the first effect after the rows were
 * rendered, i.e. after they were painted), in ms.
 */
async function firstScreen(
  b: Browser,
  url: string,
  opts: { rows: string; mark: string },
): Promise<{ ms: number; marks: Record<string, number>; cpuMs: number; serverCpuMs: number }> {
  const { page } = b;
  await page.goto('about:blank');
  const cpu0 = chromiumCpuMs(b.profile);
  const own0 = ownCpuMs();
  await page.goto(url);
  await page.locator(opts.rows).first().waitFor({ timeout: 120_000 });
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, opts.mark, {
    polling: 100,
  });
  const cpuMs = chromiumCpuMs(b.profile) - cpu0;
  const serverCpuMs = ownCpuMs() - own0;
  const marks: Record<string, number> = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
  );
  return { ms: marks[opts.mark], marks, cpuMs, serverCpuMs };
}

async function fetchAndParse(b: Browser, path: string): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = chromiumCpuMs(b.profile);
  const ms = await b.page.evaluate(async (p) => {
    const t0 = performance.now();
    const doc = await (await fetch(p)).json();
    if (doc === undefined) throw new Error('empty');
    return performance.now() - t0;
  }, path);
  return { ms, cpuMs: chromiumCpuMs(b.profile) - cpu0 };
}

const load = () => `load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;

// a string, so that the bundler's helpers (keepNames) stay out of the page
const scrollScript = (px: number) => `new Promise((resolve) => {
  const el = document.querySelector('[data-testid=span-rows]');
  const gaps = [];
  let last = performance.now();
  let n = 0;
  function step() {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    el.scrollTop += ${px};
    if (++n < 180) requestAnimationFrame(step);
    else {
      gaps.shift();
      gaps.sort((a, c) => a - c);
      resolve({ meanMs: gaps.reduce((a, c) => a + c, 0) / gaps.length, p95Ms: gaps[Math.floor(gaps.length * 0.95)], frames: gaps.length });
    }
  }
  requestAnimationFrame(step);
})`;

async function scrollFrames(
  b: Browser,
  px: number,
): Promise<{ meanMs: number; p95Ms: number; frames: number }> {
  return b.page.evaluate(scrollScript(px)) as Promise<{ meanMs: number; p95Ms: number; frames: number }>;
}

async function main() {
  const c = await startCollector({ maxBodyBytes: 256 * 1024 * 1024 });
  const send = async (reqs: OtlpRequest[]) => {
    for (const r of reqs) {
      const res = await c.collector.otlpHttp.inject({
        method: 'POST',
        url: '/v1/traces',
        payload: r,
        headers: { 'content-type': 'application/json' },
      });
      if (res.statusCode !== 200) throw new Error(`ingest: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
  };
  const now = Date.now();
  const t10k = 'a0000000000000000000000000010000';
  const t100k = 'a0000000000000000000000000100000';
  process.stdout.write('seeding 10,000 + 100,000 spans and 1,500 traces through OTLP/HTTP…\n');
  await send(bigTrace({ traceId: t10k, count: 10_000, startMs: now - 600_000 }));
  await send(bigTrace({ traceId: t100k, count: 100_000, startMs: now - 300_000 }));
  await send(manyTraces({ count: 1500, endMs: now - 1000, stepMs: 100 }));
  const b = await launch({ origin: c.queryUrl });
  const rows: BenchRow[] = [];
  try {
    for (const [label, id] of [
      ['10,000 spans', t10k],
      ['100,000 spans', t100k],
    ] as const) {
      const ours: number[] = [];
      const peer: number[] = [];
      const oursCpu: number[] = [];
      const peerCpu: number[] = [];
      const serverCpu: number[] = [];
      let marks: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const r = await firstScreen(b, `${c.queryUrl}/trace/${id}`, {
          rows: '[data-testid=span-row]',
          mark: 'ct:trace-first-screen',
        });
        ours.push(r.ms);
        oursCpu.push(r.cpuMs);
        serverCpu.push(r.serverCpuMs);
        marks = r.marks;
        const f = await fetchAndParse(b, `/api/v3/traces/${id}`);
        peer.push(f.ms);
        peerCpu.push(f.cpuMs);
      }
      const note = `median of ${RUNS}, ${load()}; last run: answer received and parsed at ${Math.round(marks['ct:trace-received'])} ms, normalised at ${Math.round(marks['ct:trace-normalized'])} ms, painted at ${Math.round(marks['ct:trace-first-screen'])} ms`;
      rows.push(
        {
          package: '@crosstrace/ui',
          benchmark: `trace page first screen, ${label}`,
          ours: median(ours),
          peer: median(peer),
          peerName: 'fetch + JSON.parse of the same trace',
          unit: 'ms',
          higherIsBetter: false,
          note,
        },
        {
          package: '@crosstrace/ui',
          benchmark: `trace page first screen, ${label}, CPU time of Chromium's processes`,
          ours: median(oursCpu),
          peer: median(peerCpu),
          peerName: 'fetch + JSON.parse of the same trace',
          unit: 'ms',
          higherIsBetter: false,
          note: `median of ${RUNS}; the collector (in the bench's process) spent ${Math.round(median(serverCpu))} ms of CPU answering`,
        },
      );
      if (id === t100k) {
        for (const px of [120, 900]) {
          const s = await scrollFrames(b, px);
          rows.push({
            package: '@crosstrace/ui',
            benchmark: `scrolling the 100,000-span trace ${px} px per frame, frame time (p95)`,
            ours: s.p95Ms,
            unit: 'ms',
            higherIsBetter: false,
            note: `mean ${s.meanMs.toFixed(1)} ms over ${s.frames} frames`,
          });
        }
      }
    }
    const start = (now - 3600_000) * 1000;
    const end = now * 1000;
    const searchUrl = `${c.queryUrl}/search?service=api&lookback=custom&start=${start}&end=${end}&limit=1500`;
    const ours: number[] = [];
    const render: number[] = [];
    const peer: number[] = [];
    const oursCpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await firstScreen(b, searchUrl, {
        rows: '[data-testid=result]',
        mark: 'ct:search-first-screen',
      });
      const count = await b.page.getByTestId('result-count').textContent();
      if (count !== '1500 traces') throw new Error(`expected 1500 results, saw ${count}`);
      ours.push(r.ms);
      oursCpu.push(r.cpuMs);
      render.push(r.ms - r.marks['ct:search-received']);
      peer.push(
        (
          await fetchAndParse(
            b,
            `/api/v3/trace-summaries?query.service_name=api&query.start_time_min=${new Date(start / 1000).toISOString()}&query.start_time_max=${new Date(end / 1000).toISOString()}&query.num_traces=1500`,
          )
        ).ms,
      );
    }
    rows.push({
      package: '@crosstrace/ui',
      benchmark: 'search page first screen, 1,500 results',
      ours: median(ours),
      peer: median(peer),
      peerName: 'fetch + JSON.parse of the same summaries',
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${RUNS}, ${load()}; rendering after the answer arrived: ${Math.round(median(render))} ms; CPU time of Chromium's processes: ${Math.round(median(oursCpu))} ms`,
    });
  } finally {
    await b.close();
    await c.close();
  }
  report(rows);
  for (const r of rows) if (r.note) process.stdout.write(`${r.benchmark}: ${r.note}\n`);
}

await main();
