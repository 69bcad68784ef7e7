// The confirmation view in headless Chromium, inside a host harness that speaks the MCP Apps
// messages (ui/initialize, tool-input, tool-result, tools/call) and applies the spec's restrictive
// default CSP, as hosts do; the view's tools/call goes to a real server. Allow deletes once, Cancel
// runs nothing, an injected value shows as text, nothing is loaded, both themes and phone width.
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
    else if (m.method === 'ui/notifications/size-changed') frame.style.height = m.params.height + 'px';
  });
  frame.srcdoc = html;
};
</script></body></html>`;

let stack: Stack;
let alice: AuthorizedClient;
let browser: Browser;
let viewHtml: string;

beforeAll(async () => {
  if (chromiumSkipReason) return;
  stack = await startStack();
  alice = await authorizeClient(stack.url, { scope: 'user:read project:read project:delete' });
  browser = await launchChromium();
  const read = await rawCall(stack.url, alice.accessToken, 'resources/read', { uri: 'ui://mittwald-mcp/confirmation', _meta: meta });
  viewHtml = read.result.contents[0].text;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Opens the view for a delete of `projectId` as a host would; counts the view's calls to the server. */
async function openView(projectId: string, options: { theme?: 'light' | 'dark'; width?: number } = {}) {
  const args = { project_id: projectId };
  const asked = await rawCall(stack.url, alice.accessToken, 'tools/call', { name: 'mittwald_project_delete', arguments: args, _meta: meta });
  const page: Page = await browser.newPage({ viewport: { width: options.width ?? 800, height: 700 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const calls: Json[] = [];
  await page.exposeFunction('callServer', async (params: Json) => {
    calls.push(params);
    return (await rawCall(stack.url, alice.accessToken, 'tools/call', { ...params, _meta: meta })).result;
  });
  await page.setContent(HARNESS);
  const start = [viewHtml, args, asked.result, options.theme ?? 'light'].map((value) => JSON.stringify(value)).join(', ');
  await page.evaluate(`window.startView(${start})`);
  const frame = (): Frame => page.frames().find((f) => f !== page.mainFrame())!;
  await frame().waitForSelector('#allow:not([disabled])', { timeout: 20_000 });
  return { page, frame, calls, requests };
}

describeInChromium('the confirmation view in a host', () => {
  it('shows the question; Allow deletes the project once and says so', async () => {
    const project = stack.api.users[0].projects[0].id;
    const { page, frame, calls, requests } = await openView(project);
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
    expect(calls).toHaveLength(1);
    expect(calls[0].name).toBe('mittwald_confirm_in_view');
    expect(await frame().isDisabled('#allow')).toBe(true);
    expect(await page.evaluate('window.violations')).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:'))).toEqual([]);
    await page.close();
  });

  it('Cancel runs nothing', async () => {
    const project = stack.api.users[0].projects[1].id;
    const { page, frame, calls } = await openView(project, { theme: 'dark' });
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
    const { page, frame, calls } = await openView(injected, { width: 360 });
    expect(await frame().textContent('#lines')).toContain('<img src=x onerror=');
    expect(await frame().locator('img').count()).toBe(0);
    expect(await frame().title()).toBe('Confirm');
    expect(await frame().evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(calls).toHaveLength(0);
    await page.close();
  });
});
