// Headless Chromium for what only a real browser shows (layout, focus, cookies as a browser keeps
// them): Debian's `chromium` package, driven by playwright-core, which never downloads a browser of
// its own. A developer without it gets a loud skip; CI (CI=true) gets a failure naming the package.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const EXECUTABLE_NAMES = ['chromium', 'chromium-browser'];

/** the first Chromium on PATH, if any */
function findChromium(): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    for (const name of EXECUTABLE_NAMES) {
      const candidate = join(directory, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const executablePath = findChromium();

export const CHROMIUM_MISSING =
  'no `chromium` on PATH: install Debian\'s chromium package (`apt-get install chromium`, as .ci/run does)';

/**
 * Why the browser tests are skipped here, or undefined when they run. Never skipped in CI: there a
 * missing Chromium fails the suite (`launchChromium` throws) instead of passing quietly.
 */
export const chromiumSkipReason = executablePath || process.env.CI === 'true' ? undefined : CHROMIUM_MISSING;

export async function launchChromium(): Promise<Browser> {
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({ executablePath });
}
