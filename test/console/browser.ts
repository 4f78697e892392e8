import { existsSync } from 'node:fs';
import { Browser, BrowserContext, BrowserContextOptions, chromium } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-chromium.sh installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, hermetic headless run: no sandbox (root in CI), no GPU, no calls home. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  /** A fresh context (own cookies) whose pages report every CSP violation into `violations`. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  violations: string[];
  close(): Promise<void>;
}

/**
 * Chromium driven by playwright-core, on a fresh profile: Playwright gives every launch its own
 * new --user-data-dir in the temp folder and removes it on close. Every page of every context listens for `securitypolicyviolation` and the
 * browser's console is watched for "Content Security Policy" messages: both land in `violations`.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh`);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const violations: string[] = [];
  return {
    violations,
    async context(options = {}) {
      const context = await browser.newContext(options);
      await context.exposeBinding('reportCspViolation', (_source, text: string) => {
        violations.push(text);
      });
      // A string: it runs in the page, where these tests' TypeScript (no DOM types) does not look.
      await context.addInitScript(
        `document.addEventListener('securitypolicyviolation', (e) =>
          window.reportCspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' on ' + e.documentURI));`,
      );
      context.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
      });
      return context;
    },
    async close() {
      await browser.close();
    },
  };
}
