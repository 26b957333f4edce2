import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { testServer } from './test-server';

export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

/** Debian's Chromium (Playwright cannot download its own browser on our machines). */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error('Chromium not found: run `bash scripts/ensure-test-deps.sh` (installs Debian\'s chromium) or set CHROMIUM_PATH.');
  return found;
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** The laptop-sized viewport the browser suites use. */
export const DESKTOP_VIEWPORT = { width: 1280, height: 900 };

/**
 * Mocha hooks for a browser suite: one Chromium for the file and a fresh page per test, handed
 * to onPage and closed after the test. Returns the browser, for tests that open more pages.
 */
export function usePagePerTest(onPage: (page: Page) => void, extraArgs: string[] = []): () => Browser {
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    browser = await launchBrowser(extraArgs);
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    page = await browser!.newPage({ viewport: DESKTOP_VIEWPORT });
    onPage(page);
  });
  afterEach(async () => {
    await page?.close();
  });
  return () => browser!;
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) in a page or frame; returns the violations. */
export async function axeViolations(target: Page | Frame): Promise<AxeViolation[]> {
  await target.evaluate(AXE_SOURCE);
  return target.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

export function formatViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The tool's frame inside a Sandbox launch page, once the launch has landed on a Fieldbook page. */
export async function toolFrame(page: Page): Promise<Frame> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const frame = page.frames().find((f) => new URL(f.url(), 'http://x').pathname.startsWith('/lti/') && !f.url().includes('/lti/login'));
    if (frame) {
      await frame.waitForLoadState('load');
      return frame;
    }
    if (Date.now() > deadline) throw new Error(`Tool frame did not load; frames: ${page.frames().map((f) => f.url()).join(', ')}`);
    await page.waitForTimeout(100);
  }
}

/** Fails with the list of WCAG 2.1 A/AA violations axe finds in the page or frame. */
export async function expectAccessible(target: Page | Frame, what: string): Promise<void> {
  const violations = await axeViolations(target);
  expect(violations, `${what}:\n${formatViolations(violations)}`).to.have.length(0);
}

/** The widths the page checks use: a laptop and a phone. */
export const PAGE_WIDTHS = [DESKTOP_VIEWPORT.width, 400];

/** Launches through the Sandbox (a real signed launch) and returns the tool session the frame got. */
export async function launchSession(page: Page, placementId: string, personId: string): Promise<{ ltik: string; aid: string }> {
  await page.goto(`${testServer().baseUrl}/sandbox/launch/${placementId}/${personId}`);
  const frame = await toolFrame(page);
  const ltik = await frame.locator('input[name="ltik"]').first().inputValue();
  const aid = await frame.locator('input[name="aid"]').first().inputValue();
  return { ltik, aid };
}

/**
 * Opens `url` at each width: axe (WCAG 2.1 AA), no sideways scrolling, then `atWidth` (checks of
 * the caller's own), and keeps a full-page screenshot `<name>-<width>.png`. `ready` is a selector.
 */
export async function checkAtEachWidth(page: Page, url: string, name: string, ready: string, atWidth?: (width: number) => Promise<void>): Promise<void> {
  for (const width of PAGE_WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(url);
    await page.locator(ready).first().waitFor();
    await expectAccessible(page, `${name} at ${width} px`);
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect(scrollWidth, `${name} at ${width} px scrolls sideways`).to.be.at.most(clientWidth);
    await atWidth?.(width);
    await saveScreenshot(page, `${name}-${width}`);
  }
}

/** A data-testid as a selector, for `checkAtEachWidth`'s `ready`. */
export const byTestId = (id: string) => `[data-testid="${id}"]`;
