// The other pages, as a user drives them: the trace's other views and keys, compare, the service
// map with a service's metrics, the diagnoses list, the pods and a pod's page, opening a file.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Browser, launch } from '../helpers/browser.js';
import { type RunningCollector, startCollector } from '../helpers/collector.js';
import { OLD, seedRollout } from '../helpers/seed.js';

/** The number of span rows once it settles on `n` (or after 5 s, whatever it is then). */
async function rowsSettle(page: Browser['page'], n: number): Promise<number> {
  await page
    .waitForFunction((k) => document.querySelectorAll('[data-testid=span-row]').length === k, n, {
      timeout: 5000,
    })
    .catch(() => {});
  return page.locator('[data-testid=span-row]').count();
}

let c: RunningCollector;
let b: Browser;
let failedTraceId: string;
let okTraceId: string;

t.before(async () => {
  c = await startCollector();
  await seedRollout({ otlpUrl: c.otlpUrl });
  const diag = (await c.collector.query.inject('/api/crosstrace/diagnoses')).json().data;
  failedTraceId = diag[0].traceID;
  const all = (await c.collector.query.inject('/api/traces?service=ingress-nginx&lookback=1h')).json().data;
  okTraceId = all.map((x: { traceID: string }) => x.traceID).find((id: string) => id !== failedTraceId);
  b = await launch({ origin: c.queryUrl });
});
t.teardown(async () => {
  await b?.close();
  await c?.close();
});

t.test('trace page: find with matches only, collapse, keys, help, other views', async (t) => {
  const { page } = b;
  await page.goto(`${c.queryUrl}/trace/${failedTraceId}`);
  await page.locator('[data-testid=span-row]').first().waitFor();
  const all = await page.locator('[data-testid=span-row]').count();
  await page.getByTestId('find').fill('service=route');
  await page.waitForURL(/uiFind=service%3Droute/);
  t.equal(await page.getByTestId('match-count').textContent(), '10 matches', 'the ten route calls match');
  await page.getByTestId('matches-only').check();
  await page.waitForURL(/matchesOnly=1/);
  t.equal(await rowsSettle(page, 10), 10, 'matches only');
  await page.keyboard.press('Escape');
  await page.waitForURL((u) => !u.toString().includes('uiFind'));
  t.equal(await rowsSettle(page, all), all, 'Esc clears the search');

  await page.getByTestId('collapse-all').click();
  t.equal(await rowsSettle(page, 1), 1, 'collapse all leaves the root');
  t.match(
    await page.getByTestId('collapsed-summary').textContent(),
    /route GET \/route ×10/,
    'the collapsed subtree is summarised',
  );
  await b.screenshot('trace-collapsed');
  await page.keyboard.press('[');
  t.equal(await rowsSettle(page, all), all, '[ expands all');
  await page.keyboard.press('p');
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid=span-row]').length < k, all);
  t.pass('p collapses one level');
  await page.keyboard.press('o');
  t.equal(await rowsSettle(page, all), all, 'o expands it again');
  await page.keyboard.press('f');
  await page.waitForURL(/span=/);
  t.equal(await page.locator('.span-row.selected').count(), 1, 'f selects the next span');
  await page.keyboard.press('ArrowUp');
  await page.waitForURL(/range=/);
  t.pass('↑ zooms in (the window is in the URL)');
  const windowOf = () => (new URL(page.url()).searchParams.get('range') ?? '').split(',').map(Number);
  const [zoomedStart] = windowOf();
  await page.keyboard.press('d');
  await page.waitForURL((u) => u.searchParams.get('range')?.split(',')[0] !== zoomedStart.toFixed(4));
  t.ok(windowOf()[0] > zoomedStart, 'd pans the window right');
  await page.keyboard.press('Shift+A');
  await page.waitForURL((u) => Number(u.searchParams.get('range')?.split(',')[0]) < zoomedStart);
  t.pass('⇧A pans it left by a larger step');
  await page.keyboard.press('?');
  await page.getByTestId('shortcuts-help').waitFor();
  t.match(await page.getByTestId('shortcuts-help').textContent(), /Collapse one level/);
  await b.screenshot('shortcuts-help');
  await page.keyboard.press('Escape');
  t.equal(await page.getByTestId('shortcuts-help').count(), 0, 'Esc closes the help');

  await page.getByTestId('view-stats').click();
  await page.getByTestId('stats-view').waitFor();
  t.match(
    await page.getByTestId('stats-view').textContent(),
    /route.*GET \/route.*10/s,
    'statistics per service and operation',
  );
  await b.screenshot('trace-statistics');
  await page.getByTestId('view-table').click();
  await page.getByTestId('spans-table').waitFor();
  await page.getByTestId('view-flame').click();
  await page.getByTestId('flame-graph').waitFor();
  await b.screenshot('trace-flame-graph');
  await page.getByTestId('view-json').click();
  await page.getByTestId('json-view').waitFor();
  await page.waitForFunction(() =>
    document.querySelector('.json-preview')?.textContent?.includes('"traceID"'),
  );
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download OTLP/JSON' }).click();
  const file = await download;
  t.match(file.suggestedFilename(), /\.otlp\.json$/, 'the trace downloads as OTLP/JSON');
  const path = join(tmpdir(), `ct-download-${Date.now()}.json`);
  await file.saveAs(path);
  await page.goBack();
  await page.getByTestId('flame-graph').waitFor();
  t.pass('back returns to the previous view');

  // the downloaded file opens again (Open file), as the same trace
  await page.getByTestId('open-file').setInputFiles(path);
  await page.waitForURL(new RegExp(`/trace/${failedTraceId}$`));
  await page.locator('[data-testid=span-row]').first().waitFor();
  t.equal(await rowsSettle(page, all), all, 'the file shows every span');
});

t.test(
  "jaeger-ui's links: HotROD's find-trace search (a tag on an event) and ?uiFind=<span id>",
  async (t) => {
    const { page } = b;
    await page.goto(
      `${c.queryUrl}/search?service=frontend&lookback=1h&limit=20&tags=${encodeURIComponent('{"driver":"T712345C"}')}`,
    );
    await page.getByTestId('result').first().waitFor();
    t.equal(await page.getByTestId('result').count(), 1, 'the one request whose driver is on its event');
    t.match(
      await page.getByTestId('result').first().locator('a.result-title').getAttribute('href'),
      failedTraceId,
    );
    const trace = (await c.collector.query.inject(`/api/traces/${failedTraceId}`)).json().data[0];
    const startS = Math.min(...trace.spans.map((x: { startTime: number }) => x.startTime)) / 1e6;
    const scatter = page.getByTestId('scatter').locator('[data-time-window]');
    await scatter.waitFor();
    const [from, to] = ((await scatter.getAttribute('data-time-window')) ?? '').split(',').map(Number);
    t.equal(to - from, 60, "the scatter plot's time axis spans a minute around the one result, not years");
    t.ok(from < startS && startS < to, 'with the result inside it');
    const spans = (await c.collector.query.inject(`/api/v3/traces/${failedTraceId}`)).json().result
      .resourceSpans;
    const redis = spans
      .flatMap((r: { scopeSpans: { spans: { spanId: string; name: string }[] }[] }) =>
        r.scopeSpans.flatMap((x) => x.spans),
      )
      .find((x: { name: string }) => x.name === 'FindDriverIDs');
    await page.goto(`${c.queryUrl}/trace/${failedTraceId}?uiFind=${redis.spanId}`);
    await page.getByTestId('span-detail').waitFor();
    t.match(
      await page.getByTestId('span-detail').textContent(),
      /FindDriverIDs/,
      'the span named by uiFind is selected',
    );
    t.equal(await page.locator('.span-row.selected').getAttribute('data-span-id'), redis.spanId);
  },
);

t.test('open a Jaeger JSON file', async (t) => {
  const { page } = b;
  const doc = (await c.collector.query.inject(`/api/traces/${okTraceId}`)).json();
  const path = join(tmpdir(), `ct-jaeger-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(doc));
  await page.goto(`${c.queryUrl}/search`);
  await page.getByTestId('open-file').setInputFiles(path);
  await page.waitForURL(new RegExp(`/trace/${okTraceId}`));
  await page.locator('[data-testid=span-row][data-layer=app]').first().waitFor();
  t.ok(
    (await page.locator('[data-testid=span-row][data-layer=ingress]').count()) >= 2,
    'layers from the crosstrace.layer tag',
  );
});

t.test('compare two traces', async (t) => {
  const { page } = b;
  await page.goto(`${c.queryUrl}/search?lookback=1h&limit=20&service=ingress-nginx`);
  await page.getByTestId('result').first().waitFor();
  const boxes = page.locator('[data-testid=result] input[type=checkbox]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByTestId('compare').click();
  await page.getByTestId('compare-page').waitFor();
  t.match(page.url(), /\/trace\/[0-9a-f]{32}\.\.\.[0-9a-f]{32}$/);
  t.ok((await page.getByTestId('diff-row').count()) > 5, 'the union of both call trees');
  await page.goto(`${c.queryUrl}/trace/${okTraceId}...${failedTraceId}`);
  await page.getByTestId('compare-page').waitFor();
  const changed = await page.locator('tr.diff-changed').allTextContents();
  t.ok(
    changed.some((r) => r.includes('ingress-nginx')),
    'the failed request made two upstream attempts where the other made one',
  );
  t.ok((await page.locator('tr.diff-same').count()) > 5, 'the app spans are the same in both');
  await b.screenshot('compare');
});

t.test('service map: nodes by layer, edges with calls, a service metrics', async (t) => {
  const { page } = b;
  await page.goto(`${c.queryUrl}/map`);
  await page.getByTestId('service-graph').waitFor();
  const layers = await page
    .getByTestId('service-node')
    .evaluateAll((ns) => ns.map((n) => n.getAttribute('data-layer')));
  t.ok(
    layers.includes('ingress') && layers.includes('app') && layers.includes('control-plane'),
    'nodes of every layer',
  );
  const edges = await page.getByTestId('service-edge').allTextContents();
  t.ok(
    edges.some((e) => /6 calls/.test(e)),
    'ingress → frontend carries the six requests',
  );
  await page.getByTestId('service-node').filter({ hasText: 'frontend' }).first().click();
  await page.waitForURL(/service=frontend/);
  await page.getByTestId('service-metrics').locator('canvas').first().waitFor();
  t.match(
    await page.getByTestId('service-metrics').textContent(),
    /GET \/dispatch/,
    'operations of the service',
  );
  await b.screenshot('service-map');
});

t.test('diagnoses page, pods and the pod page', async (t) => {
  const { page } = b;
  await page.goto(`${c.queryUrl}/diagnoses`);
  await page.getByTestId('diagnosis-row').first().waitFor();
  t.equal(await page.getByTestId('diagnosis-row').count(), 2, 'both diagnoses of the failed attempt');
  await page.getByTestId('code-filter').selectOption('upstream-pod-terminating');
  await page.waitForURL(/code=upstream-pod-terminating/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=diagnosis-row]').length === 1);
  t.pass('filtered by code');
  await page.getByTestId('code-filter').selectOption('');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=diagnosis-row]').length === 2);
  await b.screenshot('diagnoses');
  await page.getByTestId('diagnosis-row').first().getByRole('link', { name: OLD.name }).click();
  await page.getByTestId('pod-page').waitFor();
  t.match(page.url(), new RegExp(`/pods/hotrod/${OLD.name}$`));
  await page.getByTestId('pod-axis').waitFor();
  t.ok((await page.getByTestId('pod-request').count()) >= 2, 'the requests the old pod served');
  t.ok((await page.locator('.req-dot.failed').count()) >= 1, 'and the one that failed on it');
  await page.waitForFunction(() => document.querySelectorAll('.pod-legend li').length > 0);
  t.match(
    await page.locator('.pod-legend').textContent(),
    /Pod.Terminating/,
    'its lifecycle on the time axis',
  );
  await b.screenshot('pod-page');
  await page.locator('.req-dot.failed').first().click();
  await page.getByTestId('trace-page').waitFor();
  await page.getByTestId('span-detail').waitFor();
  t.pass('a failed request opens its trace with the attempt selected');
  await page.goto(`${c.queryUrl}/pods`);
  await page.getByTestId('pod-row').first().waitFor();
  t.equal(await page.getByTestId('pod-row').count(), 2, 'both pods of the rollout');
});

t.test('1280×800 needs no horizontal scrolling on any page; UTC and local time', async (t) => {
  const { page } = b;
  for (const path of [
    '/search?lookback=1h',
    `/trace/${failedTraceId}`,
    '/map',
    '/diagnoses',
    `/pods/hotrod/${OLD.name}`,
  ]) {
    await page.goto(`${c.queryUrl}${path}`);
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    t.ok(overflow <= 0, `${path} fits 1280 px wide (overflow ${overflow})`);
  }
  await page.goto(`${c.queryUrl}/trace/${failedTraceId}`);
  await page.getByTestId('trace-page').waitFor();
  await page.getByTestId('tz-toggle').click();
  t.match(await page.locator('.trace-facts').textContent(), /UTC/, 'times in UTC');
});
