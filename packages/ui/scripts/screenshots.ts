// The README's screenshots, taken from the real UI in Debian's Chromium at 1280×800: a collector
// built in-process, seeded through its receivers with the end-to-end tests' rollout (a request
// whose first upstream attempt hits the terminating pod), then each page as a user opens it.
// Writes docs/screenshots/*.png. Run: `pnpm screenshots` in this package (after `pnpm build`).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, launch } from '../test/helpers/browser.js';
import { type RunningCollector, startCollector } from '../test/helpers/collector.js';
import { OLD, seedRollout } from '../test/helpers/seed.js';

const OUT = new URL('../docs/screenshots/', import.meta.url).pathname;

/** Waits until the page has no request in flight and no pod row still loading. */
async function settle(page: Browser['page']): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(
    () =>
      ![...document.querySelectorAll('[data-testid=pod-context-row]')].some((r) =>
        r.textContent?.includes('loading'),
      ),
  );
}

async function shoot(page: Browser['page'], name: string): Promise<void> {
  await settle(page);
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path });
  process.stdout.write(`${path}\n`);
}

async function take(c: RunningCollector, page: Browser['page']): Promise<void> {
  const diagnoses = (await c.collector.query.inject('/api/crosstrace/diagnoses')).json().data;
  const failed: string = diagnoses[0].traceID;
  const traces = (await c.collector.query.inject('/api/traces?service=ingress-nginx&lookback=1h')).json()
    .data;
  const ok: string = traces.map((x: { traceID: string }) => x.traceID).find((id: string) => id !== failed);

  await page.goto(`${c.queryUrl}/search?lookback=1h&limit=20`);
  await page.getByTestId('result').first().waitFor();
  await shoot(page, 'search');

  await page.goto(`${c.queryUrl}/trace/${failed}`);
  await page.getByTestId('pod-context-row').first().waitFor();
  await shoot(page, 'trace-diagnosis');

  await page
    .locator('[data-testid=span-row]')
    .filter({ has: page.getByTestId('diagnosis-marker') })
    .click();
  await page.getByTestId('span-detail').waitFor();
  await shoot(page, 'trace-detail');

  await page.goto(`${c.queryUrl}/map?lookback=1h&service=frontend`);
  await page.getByTestId('service-metrics').locator('canvas').first().waitFor();
  await shoot(page, 'service-map');

  await page.goto(`${c.queryUrl}/diagnoses`);
  await page.getByTestId('diagnosis-row').first().waitFor();
  await shoot(page, 'diagnoses');

  await page.goto(`${c.queryUrl}/pods/hotrod/${OLD.name}`);
  await page.waitForFunction(() => document.querySelectorAll('.pod-legend li').length > 0);
  await shoot(page, 'pod-page');

  await page.goto(`${c.queryUrl}/trace/${ok}...${failed}`);
  await page.getByTestId('compare-page').waitFor();
  await shoot(page, 'compare');

  await page.goto(`${c.queryUrl}/trace/${failed}`);
  await page.getByTestId('pod-context-row').first().waitFor();
  await page.getByTestId('theme-toggle').click();
  await shoot(page, 'trace-dark');
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const c = await startCollector();
  let b: Browser | undefined;
  try {
    // a whole second, as the pods' timestamps are: the sentences read the same on every run
    await seedRollout({ otlpUrl: c.otlpUrl }, Math.floor(Date.now() / 1000 - 60) * 1000);
    b = await launch({ origin: c.queryUrl });
    await take(c, b.page);
    if (b.foreignRequests.length > 0)
      throw new Error(`the UI loaded from elsewhere: ${b.foreignRequests.join(', ')}`);
  } finally {
    await b?.close();
    await c.close();
  }
}

await main();
