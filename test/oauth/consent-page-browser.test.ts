// The consent page as a person meets it, in headless Chromium: an MCP client registers itself and
// opens the authorization in the browser; the person reads the page, continues to the (simulated)
// mittwald login or cancels, and the browser lands at the client's redirect URI with a code or with
// access_denied. By mouse, by keyboard alone, at a phone's width, and checked by axe.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import express from 'express';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { listenOnLoopback, type Listening } from '../support/listen.ts';
import { authorizationRequest, type RegisteredClient, registerClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

if (chromiumSkipReason) console.warn(`consent page browser tests SKIPPED: ${chromiumSkipReason}`);
const describeInChromium = chromiumSkipReason ? describe.skip : describe;

/** a phone's screen: 375 px is an iPhone SE's (the narrowest phone in common use), 320 px WCAG's reflow minimum */
const PHONE_HEIGHT = 667;
const phone = (width: number): BrowserContextOptions => ({ viewport: { width, height: PHONE_HEIGHT }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
/** a browser and a sign-in per test: generous, for a busy 2-core machine */
const TEST_TIMEOUT_MS = 60_000;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let stack: Stack;
let browser: Browser;
/** the client's own loopback listener (RFC 8252), where the browser is sent back */
let clientCallback: Listening;
let callbacks: URLSearchParams[];

beforeAll(async () => {
  if (chromiumSkipReason) return;
  browser = await launchChromium();
  stack = await startStack();
  const app = express();
  app.get('/callback', (req, res) => {
    callbacks.push(new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)));
    res.type('text').send('Back at the client. You can close this tab.');
  });
  clientCallback = await listenOnLoopback(app);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await clientCallback?.close();
  await stack?.close();
});

beforeEach(() => {
  callbacks = [];
});

async function registeredClient(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const { status, body } = await registerClient(stack.url, {
    client_name: 'Claude',
    redirect_uris: [`${clientCallback.url}/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...metadata,
  });
  expect(status).toBe(201);
  return body as unknown as RegisteredClient;
}

/** a newly registered client, and a fresh browser profile (no cookies) at the consent page of its authorization request */
async function openConsentPage(options: { clientMetadata?: Record<string, unknown>; context?: BrowserContextOptions; scope?: string } = {}) {
  const client = await registeredClient(options.clientMetadata);
  const context = await browser.newContext(options.context);
  const page = await context.newPage();
  const request = authorizationRequest(stack.url, client, { scope: options.scope });
  await page.goto(request.url);
  expect(new URL(page.url())).toMatchObject({ origin: stack.url, pathname: expect.stringMatching(/^\/interaction\/[^/]+$/) });
  await page.getByRole('heading', { name: 'Connect to your mittwald account?' }).waitFor();
  return { client, page, request, close: () => context.close() };
}

/** what the client's listener received once the browser got back to it */
async function landedAtClient(page: Page): Promise<URLSearchParams> {
  await page.waitForURL((url) => url.href.startsWith(`${clientCallback.url}/callback?`), { timeout: 30_000 });
  await page.getByText('Back at the client. You can close this tab.').waitFor();
  expect(callbacks).toHaveLength(1);
  return callbacks[0];
}

type AuthorizationRequest = ReturnType<typeof authorizationRequest>;

/** the browser got back to the client with the request's state and a code that redeems at /token */
async function expectSignedIn(page: Page, client: RegisteredClient, request: AuthorizationRequest): Promise<void> {
  const received = await landedAtClient(page);
  expect(received.get('state')).toBe(request.state);
  expect(received.get('iss')).toBe(stack.url);
  const tokens = await tokenRequest(stack.url, client, {
    grant_type: 'authorization_code',
    code: received.get('code')!,
    code_verifier: request.verifier,
    redirect_uri: client.redirect_uris[0],
  });
  expect(tokens.status).toBe(200);
  expect(tokens.body.access_token).toEqual(expect.any(String));
}

/** the browser got back to the client with access_denied, the request's state and no code */
async function expectDenied(page: Page, request: AuthorizationRequest): Promise<void> {
  const received = await landedAtClient(page);
  expect(Object.fromEntries(received)).toEqual({ error: 'access_denied', error_description: expect.any(String), state: request.state, iss: stack.url });
}

interface FocusStop {
  name: string;
  /** 'visible' when its outline meets WCAG 2.2's focus appearance (2 px at least, 3:1 against the page); else the outline */
  focusRing: string;
}

/** presses Tab; what has the focus then (undefined: nothing on the page) */
async function tab(page: Page): Promise<FocusStop | undefined> {
  await page.keyboard.press('Tab');
  const focused = page.locator(':focus');
  if ((await focused.count()) === 0) return undefined;
  const { name, outline, background } = await focused.evaluate((element) => {
    const style = element.ownerDocument.defaultView.getComputedStyle(element);
    const pageStyle = element.ownerDocument.defaultView.getComputedStyle(element.ownerDocument.body);
    return {
      name: String(element.textContent).trim(),
      outline: { style: String(style.outlineStyle), width: Number.parseFloat(style.outlineWidth), color: String(style.outlineColor) },
      background: String(pageStyle.backgroundColor),
    };
  });
  const contrast = contrastRatio(outline.color, background);
  const visible = outline.style !== 'none' && outline.width >= 2 && contrast >= 3;
  return { name, focusRing: visible ? 'visible' : `${outline.style} ${outline.width}px, contrast ${contrast.toFixed(1)}:1` };
}

/** WCAG contrast ratio of two CSS colours as getComputedStyle gives them (a transparent page is white) */
function contrastRatio(first: string, second: string): number {
  const luminance = (color: string) => {
    const [r, g, b, alpha] = (color.match(/[\d.]+/g) ?? []).map(Number);
    if (alpha === 0) return 1;
    const linear = (channel: number) => (channel / 255 <= 0.03928 ? channel / 255 / 12.92 : ((channel / 255 + 0.055) / 1.055) ** 2.4);
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (lighter + 0.05) / (darker + 0.05);
}

/** the page's width, how wide its content is, and each element that reaches past either edge */
async function horizontalLayout(page: Page): Promise<{ width: number; scrollWidth: number; outside: string[] }> {
  return page.locator('html').evaluate((html) => {
    const width = html.clientWidth;
    const outside = [...html.querySelectorAll('body *')]
      .filter((element) => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && (box.left < 0 || box.right > width + 0.5);
      })
      .map((element) => String(element.outerHTML).slice(0, 60));
    return { width, scrollWidth: html.scrollWidth, outside };
  });
}

/** what axe-core finds against WCAG 2.2 A and AA and its best practices, one line per rule */
async function axeViolations(page: Page): Promise<string[]> {
  // evaluated through the DevTools protocol: the page's own policy still allows no script
  await page.evaluate(axeSource);
  return page.locator('html').evaluate(async (html) => {
    const results = await html.ownerDocument.defaultView.axe.run(html.ownerDocument, {
      runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
    });
    return results.violations.map((violation: { id: string; help: string; nodes: Array<{ target: string[] }> }) =>
      `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
    );
  });
}

describeInChromium('the consent page in Chromium', () => {
  it('Continue: the simulated mittwald login signs the user in and the client receives a code that redeems', async () => {
    const { client, page, request, close } = await openConsentPage({ scope: 'project:read app:write' });
    expect(await page.locator('body').innerText()).toContain('Claude wants to act on your mittwald account.');
    expect(await page.locator('li').allInnerTexts()).toEqual(['project:read — see your projects and their settings', 'app:write — install, change, start and stop apps']);

    await page.getByRole('button', { name: 'Continue to mittwald' }).click();
    await expectSignedIn(page, client, request);
    await close();
  }, TEST_TIMEOUT_MS);

  it('Cancel: the client receives access_denied and no code, and mittwald is never asked', async () => {
    const { page, request, close } = await openConsentPage();
    const authorizationsBefore = stack.oauth.counters.authorizations;

    await page.getByRole('button', { name: 'Cancel' }).click();
    await expectDenied(page, request);
    expect(stack.oauth.counters.authorizations).toBe(authorizationsBefore);
    await close();
  }, TEST_TIMEOUT_MS);

  describe('by keyboard alone', () => {
    it('Tab reaches Continue and then Cancel, each visibly focused, and nothing else; Enter on Continue signs in', async () => {
      const { client, page, request, close } = await openConsentPage();
      const stops = [await tab(page), await tab(page), await tab(page)];
      expect(stops).toEqual([
        { name: 'Continue to mittwald', focusRing: 'visible' },
        { name: 'Cancel', focusRing: 'visible' },
        undefined, // past the last control the focus leaves the page
      ]);

      expect((await tab(page))?.name).toBe('Continue to mittwald'); // and round again
      await page.keyboard.press('Enter');
      await expectSignedIn(page, client, request);
      await close();
    }, TEST_TIMEOUT_MS);

    it('Space on Cancel denies', async () => {
      const { page, request, close } = await openConsentPage();
      expect((await tab(page))?.name).toBe('Continue to mittwald');
      expect((await tab(page))?.name).toBe('Cancel');
      await page.keyboard.press('Space');
      await expectDenied(page, request);
      await close();
    }, TEST_TIMEOUT_MS);
  });

  it.each([375, 320])(
    'at phone width (%i px) nothing is cut off, for the widest name and the longest host a client may choose and every scope',
    async (width) => {
      const longHost = `${`${'w'.repeat(63)}.`.repeat(3)}example.com`;
      const clientMetadata = { client_name: 'W'.repeat(200), redirect_uris: [`https://${longHost}/callback`] };
      const scope = stack.config.mittwald.scopes.upstream.join(' ');
      const { page, close } = await openConsentPage({ clientMetadata, context: phone(width), scope });
      expect(await page.locator('body').innerText()).toContain(longHost);
      // laid out at the phone's width (not a zoomed-out desktop page), nothing wider, nothing outside
      expect(await horizontalLayout(page)).toEqual({ width, scrollWidth: width, outside: [] });

      for (const button of await page.getByRole('button').all()) {
        await button.scrollIntoViewIfNeeded();
        const box = (await button.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(PHONE_HEIGHT);
      }
      await close();
    },
    TEST_TIMEOUT_MS,
  );

  it('a tap on Continue at phone width signs in like a click', async () => {
    const { client, page, request, close } = await openConsentPage({ context: phone(375) });
    await page.getByRole('button', { name: 'Continue to mittwald' }).tap();
    await expectSignedIn(page, client, request);
    await close();
  }, TEST_TIMEOUT_MS);

  it.each([
    ['at desktop width', undefined],
    ['at phone width', phone(375)],
  ])('axe finds nothing a screen reader or keyboard user would miss (WCAG 2.2 A and AA, best practices) %s', async (_width, context) => {
    const { page, close } = await openConsentPage({ context });
    expect(await axeViolations(page)).toEqual([]);
    await close();
  }, TEST_TIMEOUT_MS);

  it.each([
    ['a sign-in that expired', '/interaction/unknown-or-expired', 'This sign-in has expired'],
    ['a mittwald link that is stale', '/mittwald/callback?state=unknown', 'This sign-in link is not valid'],
    ['an authorization oidc-provider refuses', '/authorize?client_id=unknown&response_type=code', 'This sign-in cannot continue'],
  ])('the page for %s fits a phone and passes axe', async (_case, path, heading) => {
    const context = await browser.newContext(phone(375));
    const page = await context.newPage();
    await page.goto(`${stack.url}${path}`);
    await page.getByRole('heading', { name: heading }).waitFor();
    expect(await horizontalLayout(page)).toEqual({ width: 375, scrollWidth: 375, outside: [] });
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, TEST_TIMEOUT_MS);
});
