// Debian's Chromium driven by playwright-core, headless, with the project's flags and a fresh
// profile per launch; screenshots kept under test-artifacts/ (git-ignored).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to other origins than `origin`. */
  foreignRequests: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launch(origin: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'hotrod-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const foreignRequests: string[] = [];
  context.on('request', (r) => {
    if (!r.url().startsWith(origin)) foreignRequests.push(r.url());
  });
  return {
    context,
    page,
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
