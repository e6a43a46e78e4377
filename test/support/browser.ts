import { createHash, X509Certificate } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium by default; INSOLE_CHROMIUM points elsewhere (e.g. Google Chrome on a laptop). */
export const CHROMIUM_PATH = process.env.INSOLE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-artifacts/screenshots');

export interface TestBrowser {
  context: BrowserContext;
  profileDir: string;
  /** Closes Chromium and deletes its profile folder. */
  close(): Promise<void>;
  /** A new tab with 15-s timeouts; `signedOut`: first clear every cookie (the test starts signed out of insole). */
  newPage(options?: { signedOut?: boolean }): Promise<Page>;
}

/**
 * Chromium accepts a certificate whose public key hash (SHA-256 of the SPKI, base64) it is given, as
 * if a CA it knows had issued it: this one throwaway certificate, not every certificate error.
 */
const trustingArgs = (certificatePem?: string) => {
  if (!certificatePem) return [];
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return [`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`];
};

/**
 * A real headless Chromium with a fresh, throw-away profile. A missing browser is a failure with
 * instructions, never a skip: a green run must mean the pages were really shown in a browser.
 * `trust` is a PEM certificate the browser accepts (a TLS proxy's in front of insole).
 */
export async function launchBrowser({ trust }: { trust?: string } = {}): Promise<TestBrowser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium is not available at ${CHROMIUM_PATH}. The browser tests need a real Chromium: ` +
      'install it (Debian/Ubuntu: `apt-get install chromium`) or set INSOLE_CHROMIUM to the path of a ' +
      'Chromium or Chrome executable. (Do not use `npx playwright install`.)',
    );
  }
  const profileDir = await mkdtemp(join(tmpdir(), 'insole-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic', ...trustingArgs(trust),
      ],
    });
  } catch (err) {
    await rm(profileDir, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    profileDir,
    async newPage({ signedOut = false } = {}) {
      if (signedOut) await context.clearCookies();
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.setDefaultNavigationTimeout(15_000);
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profileDir, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a full-page PNG to test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.waitForLoadState('load');
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}

export interface PageProblem {
  kind: 'console' | 'pageerror' | 'csp';
  url: string;
  text: string;
}

/**
 * Collects what a careful developer would see in DevTools: console errors, uncaught exceptions
 * and Content-Security-Policy violations (reported by a `securitypolicyviolation` listener that
 * Playwright installs outside the page's CSP). Call before opening pages.
 */
export async function watchForProblems(context: BrowserContext): Promise<PageProblem[]> {
  const problems: PageProblem[] = [];
  await context.exposeBinding('__insoleReportCsp', (source, violation: { directive: string; blocked: string; sample: string }) => {
    problems.push({ kind: 'csp', url: source.page?.url() ?? '', text: `${violation.directive} blocked ${violation.blocked || 'inline'} ${violation.sample}`.trim() });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __insoleReportCsp(v: unknown): void }).__insoleReportCsp({
        directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
      });
    });
  });
  context.on('console', (message) => {
    if (message.type() === 'error') problems.push({ kind: 'console', url: message.location().url || message.page()?.url() || '', text: message.text() });
  });
  context.on('weberror', (error) => {
    problems.push({ kind: 'pageerror', url: error.page()?.url() ?? '', text: String(error.error()) });
  });
  return problems;
}
