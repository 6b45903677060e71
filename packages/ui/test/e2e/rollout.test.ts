// The UI as a person uses it, in Debian's Chromium: a collector seeded through its receivers with
// a rollout (control plane), ingress-nginx log lines (ingress) and OTel SDK spans (app); search,
// open the trace with the diagnosed 502, see every layer's rows, open the span's detail and its
// diagnosis, follow the link to the pod's lifecycle trace, go back, switch theme.
import t from 'tap';
import { type Browser, launch } from '../helpers/browser.js';
import { type RunningCollector, startCollector } from '../helpers/collector.js';
import { NEW, OLD, seedRollout } from '../helpers/seed.js';

let c: RunningCollector;
let b: Browser;

t.before(async () => {
  c = await startCollector();
  await seedRollout({ otlpUrl: c.otlpUrl });
  b = await launch({ origin: c.queryUrl });
});
t.teardown(async () => {
  await b?.close();
  await c?.close();
});

t.test('search, a three-layer trace with its diagnosis, the pod lifecycle, back, theme', async (t) => {
  const { page } = b;
  await page.goto(`${c.queryUrl}/`);
  await page.getByTestId('search-form').waitFor();
  await page.locator('select[name=lookback]').selectOption('1h');
  await page.getByTestId('find-traces').click();
  await page.getByTestId('result').first().waitFor();
  t.match(page.url(), /\/search\?.*lookback=1h/, 'the search is in the URL');
  const titles = await page.locator('a.result-title').allTextContents();
  t.equal(titles.filter((x) => x.startsWith('ingress-nginx')).length, 6, 'six requests found');
  t.ok(
    titles.some((x) => x.includes('Deployment.Rollout')),
    'and the rollout, as a control-plane trace',
  );
  t.equal((await page.locator('.scatter canvas').count()) > 0, true, 'the scatter plot is drawn');
  await b.screenshot('search');

  // tags in logfmt narrow to the request whose first attempt failed
  await page.locator('input[name=tags]').fill('http.response.status_code=502');
  await page.getByTestId('find-traces').click();
  await page.waitForURL(/tags=http.response.status_code/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=result]').length === 1);
  const result = page.getByTestId('result').first();
  t.match(await result.textContent(), /diagnos/, 'the result shows its diagnosis');
  await result.locator('a.result-title').click();

  // the trace page: every layer has rows, the pod's control-plane facts are in the request's time
  await page.getByTestId('trace-page').waitFor();
  await page.locator('[data-testid=span-row][data-layer=app]').first().waitFor();
  t.ok(
    (await page.locator('[data-testid=span-row][data-layer=ingress]').count()) >= 3,
    'ingress rows: request and attempts',
  );
  t.ok((await page.locator('[data-testid=span-row][data-layer=app]').count()) >= 10, 'app rows');
  await page.getByTestId('pod-context-row').first().waitFor();
  await page.waitForFunction(
    () => !document.querySelector('[data-testid=pod-context-row]')?.textContent?.includes('loading'),
  );
  const podRows = await page.getByTestId('pod-context-row').allTextContents();
  t.ok(
    podRows.some((r) => r.includes(OLD.name) && r.includes('terminating since −')),
    'the old pod: terminating, in the request time axis',
  );
  t.ok(
    podRows.some((r) => r.includes(NEW.name)),
    'the new pod that served the retry',
  );
  const panel = await page.getByTestId('diagnoses-panel').textContent();
  t.match(panel, /upstream-pod-terminating/, 'diagnosis code');
  t.match(panel, new RegExp(OLD.name), 'names the pod');
  t.match(panel, /deletion had begun/, 'a sentence with the evidence');
  await b.screenshot('trace-three-layers');

  // the span detail of the failed attempt
  const marked = page.locator('[data-testid=span-row]').filter({ has: page.getByTestId('diagnosis-marker') });
  t.equal(await marked.count(), 1, 'one span carries the diagnosis marker');
  await marked.click();
  await page.getByTestId('span-detail').waitFor();
  t.match(page.url(), /span=[0-9a-f]{16}/, 'the selected span is in the URL');
  const detail = await page.getByTestId('span-detail').textContent();
  t.match(detail, /upstream-endpoint-removed/, 'both diagnoses in the detail');
  t.match(detail, /deletionStartedAt/, 'with the evidence');
  t.match(detail, /502/, 'the attempt status');
  await b.screenshot('trace-span-detail');

  // follow the link to the pod's lifecycle trace, then back
  const traceUrl = page.url();
  await page.getByTestId('span-detail').getByTestId('lifecycle-link').first().click();
  await page.waitForURL((u) => u.toString() !== traceUrl);
  await page.locator('[data-testid=span-row][data-layer=control-plane]').first().waitFor();
  const lifecycleRows = await page.locator('[data-testid=span-row]').allTextContents();
  t.ok(
    lifecycleRows.some((r) => r.includes('Pod.Terminating')),
    'the lifecycle trace shows the termination',
  );
  t.equal(
    await page.locator('[data-testid=span-row]:not([data-layer=control-plane])').count(),
    0,
    'only control-plane rows',
  );
  t.equal(await page.locator('.span-row.selected').count(), 1, 'the pod span is selected');
  await b.screenshot('pod-lifecycle-trace');
  await page.goBack();
  await page.waitForURL(traceUrl);
  await page.getByTestId('span-detail').waitFor();
  t.pass('back returns to the request trace with its span selected');

  // theme
  t.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await page.getByTestId('theme-toggle').click();
  t.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'dark theme');
  await b.screenshot('trace-dark');
  await page.reload();
  await page.getByTestId('trace-page').waitFor();
  t.equal(
    await page.evaluate(() => document.documentElement.dataset.theme),
    'dark',
    'the theme survives a reload',
  );
  t.same(b.foreignRequests, [], 'nothing was loaded from anywhere but the collector');
});
