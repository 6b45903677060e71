// The HotROD page as a person uses it, in Chromium: order a car, read the answer, follow the
// links the page builds into the trace UI (jaeger-ui URL conventions).
import { existsSync } from 'node:fs';
import { build } from '@crosstrace/collector';
import t from 'tap';
import { defaultTuning } from '../src/config.js';
import { Telemetry } from '../src/services/common/telemetry.js';
import { anyPortAddresses, startServices } from '../src/services/run.js';
import { type Browser, hasChromium, launch } from './helpers/browser.js';
import { eventually, getJson, type JaegerTrace } from './helpers/jaeger.js';

/** The web UI's package in this checkout; without it the collector serves no UI. */
const UI_PACKAGE = new URL('../../../packages/ui/package.json', import.meta.url);

t.test(
  'order a car on the page; its links find and open the trace',
  { skip: !hasChromium() && 'no chromium' },
  async (t) => {
    const collector = await build({
      storage: 'memory',
      otlpHttpPort: 0,
      otlpGrpcPort: -1,
      queryPort: 0,
      logLevel: 'warn',
    });
    const ports = await collector.listen();
    const query = `http://127.0.0.1:${ports.queryPort}`;
    const telemetry = new Telemetry({
      endpoint: `http://127.0.0.1:${ports.otlpHttpPort}`,
      exportDelayMs: 100,
    });
    const services = await startServices({
      services: ['frontend', 'customer', 'driver', 'route'],
      addresses: anyPortAddresses(),
      telemetry,
      // short simulated latencies: the page is under test, and on a busy machine the driver's
      // sequential redis calls could outlast the original's 1 s gRPC deadline (a 500)
      tuning: {
        ...defaultTuning(),
        mysqlGetDelayMs: 50,
        mysqlGetDelayStdDevMs: 5,
        redisFindDelayMs: 2,
        redisFindDelayStdDevMs: 0,
        redisGetDelayMs: 1,
        redisGetDelayStdDevMs: 0,
      },
      uiUrl: query,
    });
    const origin = `http://127.0.0.1:${services.ports.frontend}`;
    let b: Browser | undefined;
    t.teardown(async () => {
      await b?.close();
      await services.close();
      await telemetry.shutdown();
      await collector.close();
    });
    b = await launch(origin);
    const { page } = b;
    await page.goto(`${origin}/`);
    t.match(await page.locator('h1').textContent(), /Hot R\.O\.D\./);
    const clientId = await page.locator('#client-id').textContent();
    t.match(clientId, /^\d+$/, 'the web client id');
    // one order, then another; each line settles (answer or error) before the next click
    const settled = (n: number) =>
      page
        .locator('#log div')
        .filter({ hasText: `req: ${clientId}-${n}` })
        .filter({ hasNotText: 'Dispatching' });
    await page.getByRole('button', { name: 'Japanese Desserts' }).click();
    await settled(1).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: "Rachel's Floral Designs" }).click();
    const first = settled(2);
    await first.waitFor({ timeout: 60_000 });
    const text = await first.textContent();
    t.match(
      text,
      /^HotROD T7\d{5}C arriving in \d+min \[req: \d+-2, latency: \d+ms\]/,
      'the answer, as the original prints it',
    );
    const driver = /T7\d{5}C/.exec(text ?? '')![0];
    const find = await first.getByRole('link', { name: 'find trace' }).getAttribute('href');
    const open = await first.getByRole('link', { name: 'open trace' }).getAttribute('href');
    t.equal(
      find,
      `${query}/search?limit=20&lookback=1h&service=frontend&tags=${encodeURIComponent(JSON.stringify({ driver }))}`,
      'find trace: the UI search for the driver',
    );
    const traceId = /\/trace\/([0-9a-f]{32})$/.exec(open ?? '')?.[1];
    t.ok(traceId, `open trace: ${open}`);
    t.same(b.foreignRequests, [], 'the page loads nothing from elsewhere');
    await b.screenshot('hotrod-page');

    // the links lead to the trace: the same search through the API, and the trace itself
    const found = await eventually(async () => {
      const q = new URLSearchParams({
        service: 'frontend',
        tags: JSON.stringify({ driver }),
        lookback: '1h',
        limit: '20',
      });
      const r = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces?${q}`);
      return r.data.some((x) => x.traceID === traceId) ? r : undefined;
    });
    t.ok(found, 'the search finds the trace the page opens');
    const trace = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces/${traceId}`);
    const sql = trace.data[0].spans.find((s) => s.operationName === 'SQL SELECT');
    t.equal(
      sql?.tags.find((x) => x.key === 'request')?.value,
      `${clientId}-2`,
      "the trace is the page's second request: its mysql span holds the page's request baggage",
    );

    // where the web UI is in the checkout, the links open it (in a new tab, as the original's):
    // the trace, and the search listing it
    if (!existsSync(UI_PACKAGE)) return;
    const follow = async (name: string) => {
      const [tab] = await Promise.all([
        b!.context.waitForEvent('page'),
        first.getByRole('link', { name }).click(),
      ]);
      return tab;
    };
    const traceTab = await follow('open trace');
    await traceTab.getByTestId('trace-page').waitFor({ timeout: 60_000 });
    await traceTab
      .locator('[data-testid=span-row][data-layer=app]', { hasText: 'GET /dispatch' })
      .first()
      .waitFor({ timeout: 30_000 });
    t.match(traceTab.url(), new RegExp(`/trace/${traceId}$`), '"open trace" opens the trace in the UI');
    const searchTab = await follow('find trace');
    await searchTab.getByTestId('result').first().waitFor({ timeout: 60_000 });
    const listed = await searchTab
      .locator('[data-testid=result] a.result-title')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    t.ok(
      listed.some((h) => h.endsWith(`/trace/${traceId}`)),
      '"find trace" lists it in the UI',
    );
  },
);
