// pnpm demo:replay in the web UI, in Chromium: the report's 502 link opens one trace with the
// ingress request and its attempts, the app's spans and the control-plane facts of the old pod,
// with the diagnosis; the rollout link opens the control-plane trace; the "find trace" link finds
// the driver's trace. The collector serves the UI
// (packages/ui) on its query port.
import { existsSync } from 'node:fs';
import t from 'tap';
import { runReplay } from '../src/demo/replay.js';
import { type Browser, hasChromium, launch } from './helpers/browser.js';

/** The web UI's package in this checkout; without it the collector serves no UI. */
const UI_PACKAGE = new URL('../../../packages/ui/package.json', import.meta.url);

t.test(
  "the replay's 502 in the UI: three layers and the diagnosis",
  {
    skip:
      (!hasChromium() && 'no chromium') ||
      (!existsSync(UI_PACKAGE) && 'no web UI in this checkout (packages/ui)'),
  },
  async (t) => {
    const replay = await runReplay({ queryPort: 0 });
    let b: Browser | undefined;
    t.teardown(async () => {
      await b?.close();
      await replay.stop();
    });
    const query = replay.urls.query;
    const home = await fetch(`${query}/`, { headers: { accept: 'text/html' } });
    if (!t.equal(home.status, 200, 'the collector serves the web UI (pnpm build builds packages/ui)')) return;
    const x = replay.report.rollout502!;
    const oldPod = x.pod.replace(/^hotrod\//, '');
    b = await launch(query);
    const { page } = b;

    // the report's link: /trace/<id>?uiFind=<attempt>
    await page.goto(x.url);
    await page.getByTestId('trace-page').waitFor({ timeout: 60_000 });
    const rows = (layer: string) => page.locator(`[data-testid=span-row][data-layer=${layer}]`);
    await rows('app').first().waitFor({ timeout: 30_000 });
    const ingress = await rows('ingress').allTextContents();
    t.ok(ingress.length >= 3, `ingress rows: the request and its attempts (${ingress.length})`);
    t.ok(
      ingress.some((r) => r.includes('502')),
      'an attempt row shows its 502',
    );
    t.ok(
      ingress.some((r) => r.includes('200')),
      'and the retry that answered 200',
    );
    const app = await rows('app').allTextContents();
    t.ok(
      app.some((r) => r.includes('frontend') && r.includes('GET /dispatch')),
      'app rows: frontend GET /dispatch',
    );
    t.ok(
      app.some((r) => r.includes('customer')),
      'and the services under it',
    );

    // the control plane: the old pod the failed attempt went to, terminating in the request's time
    const podRows = page.getByTestId('pod-context-row');
    await podRows.first().waitFor({ timeout: 30_000 });
    // every pod's facts loaded (a row says "loading…" until its lifecycle arrived)
    await podRows.filter({ hasText: 'loading' }).first().waitFor({ state: 'detached', timeout: 30_000 });
    const pods = await podRows.allTextContents();
    t.ok(
      pods.some((r) => r.includes(oldPod) && /terminating/.test(r)),
      `the control-plane row of ${oldPod}: terminating`,
    );

    // the diagnosis, as a sentence naming the pod, and on the attempt the link selected
    const panel = await page.getByTestId('diagnoses-panel').textContent();
    t.match(panel, /upstream-pod-terminating/, 'the diagnosis code');
    t.match(panel, /upstream-endpoint-removed/, 'and the endpoint that had left');
    t.ok(panel?.includes(oldPod), 'naming the old pod');
    const detail = page.getByTestId('span-detail');
    await detail.waitFor({ timeout: 30_000 });
    const detailText = await detail.textContent();
    t.match(detailText, /502/, 'the selected span is the failed attempt');
    t.match(detailText, /upstream-pod-terminating/, 'with its diagnosis');
    const selected = page.locator('[data-testid=span-row].selected');
    t.equal(await selected.getAttribute('data-span-id'), x.spanId, 'uiFind selected the attempt');
    t.ok(
      (await selected.getByTestId('diagnosis-marker').count()) === 1,
      'its row carries the diagnosis marker',
    );
    await b.screenshot('replay-502-trace');

    // the report's rollout link: the control-plane trace of the new ReplicaSet
    await page.goto(replay.report.rolloutTrace!.url);
    const cp = page.locator('[data-testid=span-row][data-layer=control-plane]');
    await cp.first().waitFor({ timeout: 60_000 });
    const cpRows = await cp.allTextContents();
    t.ok(
      cpRows.some((r) => r.includes('Deployment.Rollout')),
      'the rollout trace: Deployment.Rollout at its root',
    );
    t.ok(
      cpRows.some((r) => r.includes('Pod.Ready')),
      'with the new pods becoming ready',
    );
    await b.screenshot('replay-rollout-trace');

    // the page's "find trace" link: the search for the driver lists its trace
    const find = replay.report.findTrace!;
    await page.goto(find.url);
    await page.getByTestId('result').first().waitFor({ timeout: 60_000 });
    const hrefs = await page
      .locator('[data-testid=result] a.result-title')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    t.ok(
      hrefs.some((h) => h.includes(find.traceId)),
      `"find trace" (driver ${find.driver}) lists its trace`,
    );
    await b.screenshot('replay-find-trace');
    t.same(b.foreignRequests, [], 'the UI loads nothing from elsewhere');
  },
);
