// Debian's Chromium driven by playwright-core, headless, with the flags the project's tests use,
// a fresh profile per launch, and screenshots kept under test-artifacts/ (git-ignored).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** the browser's profile directory (its processes carry it in --user-data-dir) */
  profile: string;
  /** requests the page made to hosts other than the collector */
  foreignRequests: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launch(opts: {
  origin: string;
  ignoreHTTPSErrors?: boolean;
  colorScheme?: 'light' | 'dark';
}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'crosstrace-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    ignoreHTTPSErrors: opts.ignoreHTTPSErrors,
    colorScheme: opts.colorScheme ?? 'light',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const foreignRequests: string[] = [];
  context.on('request', (r) => {
    if (!r.url().startsWith(opts.origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:'))
      foreignRequests.push(r.url());
  });
  return {
    context,
    page,
    profile,
    foreignRequests,
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
