// The views in headless Chromium, inside a host harness that speaks the MCP Apps messages
// (ui/initialize, tool-input, tool-result, tools/call, ui/open-link) and applies the spec's
// restrictive default CSP, as hosts do; the view's tools/call goes to a real server. Confirmation:
// Allow deletes once, Cancel runs nothing. Lists: the rows, sorted and filtered, a link per row.
// Everywhere: an injected value shows as text, nothing is loaded, both themes and phone width.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Frame, Page } from 'playwright-core';
import { type AuthorizedClient, authorizeClient, waitFor } from '../reliability/helpers.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { CLIENT_META_KEYS, type Json, rawCall } from './support/raw-mcp.ts';

if (chromiumSkipReason) console.warn(`confirmation view browser tests SKIPPED: ${chromiumSkipReason}`);
const describeInChromium = chromiumSkipReason ? describe.skip : describe;

const VIEWS = { 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } } };
const meta = { ...CLIENT_META_KEYS, ...VIEWS };
// the extension's restrictive default, which a host applies when a view declares no domain
const HOST_CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

const HARNESS = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${HOST_CSP}"></head><body>
<iframe id="view" sandbox="allow-scripts" style="width:100%;border:0"></iframe>
<script>
window.violations = [];
window.openedLinks = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
window.startView = (html, toolArguments, toolResult, theme) => {
  const frame = document.getElementById('view');
  window.addEventListener('message', async (event) => {
    if (event.source !== frame.contentWindow) return;
    const m = event.data;
    const reply = (result) => frame.contentWindow.postMessage({ jsonrpc: '2.0', id: m.id, result }, '*');
    const notify = (method, params) => frame.contentWindow.postMessage({ jsonrpc: '2.0', method, params }, '*');
    if (m.method === 'ui/initialize') reply({ protocolVersion: '2026-01-26', hostInfo: { name: 'harness', version: '1' }, hostCapabilities: { serverTools: {} }, hostContext: { theme } });
    else if (m.method === 'ui/notifications/initialized') { notify('ui/notifications/tool-input', { arguments: toolArguments }); notify('ui/notifications/tool-result', toolResult); }
    else if (m.method === 'tools/call') reply(await window.callServer(m.params));
    else if (m.method === 'ui/open-link') { window.openedLinks.push(m.params.url); reply({}); }
    else if (m.method === 'ui/notifications/size-changed') frame.style.height = m.params.height + 'px';
  });
  frame.srcdoc = html;
};
</script></body></html>`;

let stack: Stack;
let alice: AuthorizedClient;
let browser: Browser;
const viewHtml: Record<string, string> = {};

beforeAll(async () => {
  if (chromiumSkipReason) return;
  stack = await startStack();
  alice = await authorizeClient(stack.url, { scope: 'user:read project:read project:delete' });
  browser = await launchChromium();
  for (const uri of ['ui://mittwald-mcp/confirmation', 'ui://mittwald-mcp/list/projects']) {
    const read = await rawCall(stack.url, alice.accessToken, 'resources/read', { uri, _meta: meta });
    viewHtml[uri] = read.result.contents[0].text;
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Calls `tool` and opens its view as a host would; counts the view's calls to the server. */
async function openView(tool: string, args: Json, options: { theme?: 'light' | 'dark'; width?: number } = {}) {
  const listed = (await rawCall(stack.url, alice.accessToken, 'tools/list', { _meta: meta })).result.tools as Json[];
  const uri = listed.find((t) => t.name === tool)!._meta.ui.resourceUri as string;
  const asked = await rawCall(stack.url, alice.accessToken, 'tools/call', { name: tool, arguments: args, _meta: meta });
  const page: Page = await browser.newPage({ viewport: { width: options.width ?? 800, height: 700 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const calls: Json[] = [];
  await page.exposeFunction('callServer', async (params: Json) => {
    calls.push(params);
    return (await rawCall(stack.url, alice.accessToken, 'tools/call', { ...params, _meta: meta })).result;
  });
  await page.setContent(HARNESS);
  const start = [viewHtml[uri], args, asked.result, options.theme ?? 'light'].map((value) => JSON.stringify(value)).join(', ');
  await page.evaluate(`window.startView(${start})`);
  const frame = (): Frame => page.frames().find((f) => f !== page.mainFrame())!;
  return { page, frame, calls, requests };
}

/** a delete's confirmation view, ready for an answer */
async function openConfirmation(projectId: string, options: { theme?: 'light' | 'dark'; width?: number } = {}) {
  const opened = await openView('mittwald_project_delete', { project_id: projectId }, options);
  await opened.frame().waitForSelector('#allow:not([disabled])', { timeout: 20_000 });
  return opened;
}

const loadedFromElsewhere = (requests: string[]) => requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:'));

describeInChromium('the confirmation view in a host', () => {
  it('shows the question; Allow deletes the project once and says so', async () => {
    const project = stack.api.users[0].projects[0].id;
    const saved = stack.api.state.projects.get(project)!;
    const { page, frame, calls, requests } = await openConfirmation(project);
    const title = await frame().textContent('#title');
    expect(title).toBe('Allow mw project delete?');
    const lines = await frame().textContent('#lines');
    expect(lines).toContain(project);
    expect(lines).toContain('cannot be undone');
    expect(stack.api.state.projects.has(project)).toBe(true);

    await frame().click('#allow');
    // the page's CSP allows no eval, so poll from here rather than with waitForFunction
    let outcome: string | null = '';
    await waitFor(async () => !['', 'Running…'].includes((outcome = await frame().textContent('#outcome')) ?? ''), 20_000, 'the outcome of Allow');
    expect(outcome).not.toMatch(/Not run|failed/i);
    expect(await frame().getAttribute('#outcome', 'class')).not.toBe('warning');
    expect(stack.api.state.projects.has(project)).toBe(false);
    stack.api.state.projects.set(project, saved); // for the list view's test
    expect(calls).toHaveLength(1);
    expect(calls[0].name).toBe('mittwald_confirm_in_view');
    expect(await frame().isDisabled('#allow')).toBe(true);
    expect(await page.evaluate('window.violations')).toEqual([]);
    expect(loadedFromElsewhere(requests)).toEqual([]);
    await page.close();
  });

  it('Cancel runs nothing', async () => {
    const project = stack.api.users[0].projects[1].id;
    const { page, frame, calls } = await openConfirmation(project, { theme: 'dark' });
    expect(await frame().getAttribute('html', 'data-theme')).toBe('dark');
    await frame().click('#cancel');
    expect(await frame().textContent('#outcome')).toBe('Cancelled. Nothing was run.');
    expect(await frame().isDisabled('#allow')).toBe(true);
    expect(calls).toHaveLength(0);
    expect(stack.api.state.projects.has(project)).toBe(true);
    await page.close();
  });

  it('an injected value shows as text at phone width, and no element of it is created', async () => {
    const injected = '<img src=x onerror="document.title=\'pwned\'">';
    const { page, frame, calls } = await openConfirmation(injected, { width: 360 });
    expect(await frame().textContent('#lines')).toContain('<img src=x onerror=');
    expect(await frame().locator('img').count()).toBe(0);
    expect(await frame().title()).toBe('Confirm');
    expect(await frame().evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(calls).toHaveLength(0);
    await page.close();
  });
});

describeInChromium('the projects list view in a host', () => {
  it('shows the rows from the same call, sorts and filters them, links into mStudio, and an injected description as text', async () => {
    const [shop, blog] = stack.api.users[0].projects;
    const injected = '<img src=x onerror="document.title=\'pwned\'">Blog';
    const project = stack.api.state.projects.get(blog.id)! as { description: string };
    const original = project.description;
    project.description = injected;
    try {
      const { page, frame, calls, requests } = await openView('mittwald_project_list', {}, { theme: 'dark', width: 360 });
      await frame().waitForSelector('#rows tr', { timeout: 20_000 });
      const firstColumn = async () => frame().locator('#rows tr td:first-child').allTextContents();
      expect((await firstColumn()).sort()).toEqual([injected, 'Alice Shop'].sort());
      expect(await frame().locator('img').count()).toBe(0);
      expect(await frame().title()).toBe('Projects');

      await frame().click('th:first-child button');
      const ascending = await firstColumn();
      await frame().click('th:first-child button');
      expect(await firstColumn()).toEqual([...ascending].reverse());

      await frame().fill('#filter', 'shop');
      expect(await firstColumn()).toEqual(['Alice Shop']);
      expect(await frame().textContent('#count')).toBe('1 of 2');
      await frame().click('#rows tr button');
      expect(await page.evaluate('window.openedLinks')).toEqual([`https://studio.mittwald.de/app/projects/${shop.id}/dashboard`]);

      expect(await frame().getAttribute('html', 'data-theme')).toBe('dark');
      expect(await frame().evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(calls).toHaveLength(0);
      expect(await page.evaluate('window.violations')).toEqual([]);
      expect(loadedFromElsewhere(requests)).toEqual([]);
      await page.close();
    } finally {
      project.description = original;
    }
  });
});
