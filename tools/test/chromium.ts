// Debian's Chromium, headless, for the tests that look at a page the way a reader does (the
// proof's report, the API reference pages). A test that needs it fails, never skips, without it.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** `why` ends the error when Chromium is missing: what the calling test needs a browser for. */
export async function launchChromium(why: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}; install it with "apt-get install -y chromium" (or WITH_CHROMIUM=1 bash tools/infra/ensure-packages.sh): ${why}.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    // No sandbox as root; without the background-networking flags Chromium keeps calling Google's
    // hosts, which this closed network refuses (environment.md).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
