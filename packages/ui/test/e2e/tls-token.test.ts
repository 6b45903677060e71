// The UI behind the query port's TLS and bearer token: the shell loads over HTTPS without the
// token, the first API call asks for it once, every API call then carries it, and a reload in
// the same tab does not ask again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Browser, launch } from '../helpers/browser.js';
import { type RunningCollector, startCollector } from '../helpers/collector.js';

const TOKEN = 'query-token-7d2f';

function selfSignedCert(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ct-ui-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  return { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

function otlpTrace(nowMs: number) {
  const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'POST /checkout',
                kind: 2,
                startTimeUnixNano: ns(nowMs - 5000),
                endTimeUnixNano: ns(nowMs - 4800),
                attributes: [{ key: 'http.response.status_code', value: { intValue: '200' } }],
              },
            ],
          },
        ],
      },
    ],
  };
}

let c: RunningCollector;
let b: Browser;
let tls: ReturnType<typeof selfSignedCert>;

t.before(async () => {
  tls = selfSignedCert();
  c = await startCollector({ tlsCert: tls.cert, tlsKey: tls.key, queryToken: TOKEN });
  const res = await c.collector.otlpHttp.inject({
    method: 'POST',
    url: '/v1/traces',
    payload: otlpTrace(Date.now()),
    headers: { 'content-type': 'application/json' },
  });
  if (res.statusCode !== 200) throw new Error(`seed: ${res.statusCode} ${res.body}`);
  b = await launch({ origin: c.queryUrl, ignoreHTTPSErrors: true });
});
t.teardown(async () => {
  await b?.close();
  await c?.close();
  rmSync(tls.dir, { recursive: true, force: true });
});

t.test('HTTPS and --query-token: asked once, sent on every API call, kept for the tab', async (t) => {
  const { page } = b;
  t.match(c.queryUrl, /^https:/);
  const apiCalls: { url: string; auth: string | undefined; status?: number }[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/'))
      apiCalls.push({ url: r.url(), auth: r.request().headers().authorization, status: r.status() });
  });
  await page.goto(`${c.queryUrl}/search?lookback=1h&limit=20`);
  await page.getByTestId('token-dialog').waitFor();
  await b.screenshot('token-dialog');
  t.ok(
    apiCalls.some((x) => x.status === 401 && x.auth === undefined),
    'the first call was refused without a token',
  );
  await page.locator('[data-testid=token-dialog] input[name=token]').fill(TOKEN);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.getByTestId('result').first().waitFor();
  t.match(
    await page.getByTestId('result').first().textContent(),
    /checkout/,
    'results once the token is given',
  );
  t.equal(await page.getByTestId('token-dialog').count(), 0, 'one prompt for the concurrent calls');
  const after = apiCalls.filter((x) => x.auth !== undefined);
  t.ok(after.length >= 2, 'services and search both sent it');
  t.ok(
    after.every((x) => x.auth === `Bearer ${TOKEN}` && x.status === 200),
    'as a bearer token, accepted',
  );

  apiCalls.length = 0;
  await page.reload();
  await page.getByTestId('result').first().waitFor();
  t.equal(await page.getByTestId('token-dialog').count(), 0, 'no second prompt in the same tab');
  t.ok(
    apiCalls.length > 0 && apiCalls.every((x) => x.auth === `Bearer ${TOKEN}`),
    'every call after the reload carries it',
  );
  await page.getByTestId('result').first().locator('a.result-title').click();
  await page.locator('[data-testid=span-row]').first().waitFor();
  t.pass('the trace opens over HTTPS with the token');
});
