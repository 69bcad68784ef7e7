// The consent page as the README shows it (docs/consent-page.png): the sandbox's server and
// simulated mittwald, a client registered as Claude registers, the read-only default permissions,
// headless Chromium (Debian's `chromium`). Run `node scripts/consent-screenshot.ts` after a change
// to the page, and look at the picture before committing it.
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/chromium.ts';
import { authorizationRequest, type RegisteredClient, registerClient } from '../test/support/mittwald-oauth/oauth-client.ts';
import { startStack } from '../test/support/stack.ts';

const output = fileURLToPath(new URL('../docs/consent-page.png', import.meta.url));

const browser = await launchChromium();
const stack = await startStack({ hostname: 'localhost' });
try {
  const { body } = await registerClient(stack.url, {
    client_name: 'Claude',
    redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  // a short viewport: the full-page picture is then exactly as tall as the page
  const page = await browser.newPage({ viewport: { width: 640, height: 100 } });
  await page.goto(authorizationRequest(stack.url, body as unknown as RegisteredClient).url);
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await stack.close();
}
