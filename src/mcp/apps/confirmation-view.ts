// The confirmation view: the question a destructive or access-granting call needs answered, with
// Allow and Cancel. Allow calls the app-only tool with the confirmation the server issued for this
// call (from the result's `_meta`, which hosts keep from the model) and the call's arguments (from
// the host's tool-input notification); only that runs it. Everything shown is set as text, never
// as HTML (a target's name may hold anything a user typed). The view loads nothing from elsewhere:
// one inline document, no declared outside domain, so the host's CSP blocks every other origin.
// It speaks the extension's postMessage JSON-RPC by hand (a few messages; the SDK's bundle would be
// half a megabyte inline).
import { CONFIRM_IN_VIEW_TOOL, CONFIRMATION_META_KEY } from './view-confirmations.ts';

export const CONFIRMATION_VIEW_URI = 'ui://mittwald-mcp/confirmation';

const STYLE = `
:root { color-scheme: light dark; font-family: var(--font-sans, system-ui, sans-serif); }
:root[data-theme="light"] { color-scheme: light; }
:root[data-theme="dark"] { color-scheme: dark; }
body { margin: 0; padding: 12px; background: var(--color-background-primary, Canvas); color: var(--color-text-primary, CanvasText); font-size: var(--font-text-md-size, 15px); line-height: 1.45; }
h1 { font-size: var(--font-heading-sm-size, 17px); margin: 0 0 8px; }
p { margin: 0 0 6px; overflow-wrap: anywhere; white-space: pre-wrap; }
.warning { color: var(--color-text-danger, #b42318); font-weight: var(--font-weight-semibold, 600); }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 12px; }
button { font: inherit; padding: 8px 16px; border-radius: var(--border-radius-md, 8px); border: 1px solid var(--color-border-primary, #8884); cursor: pointer; min-width: 96px; background: var(--color-background-secondary, ButtonFace); color: inherit; }
button.allow { background: var(--color-background-danger, #b42318); color: var(--color-text-inverse, #fff); border-color: transparent; }
button:disabled { opacity: 0.5; cursor: default; }
#outcome { margin-top: 12px; }
@media (max-width: 420px) { .actions button { flex: 1 1 100%; } }
`;

// Runs in the view. Messages are only taken from the host (the parent window).
const SCRIPT = `
const CONFIRM_TOOL = ${JSON.stringify(CONFIRM_IN_VIEW_TOOL)};
const CONFIRMATION_KEY = ${JSON.stringify(CONFIRMATION_META_KEY)};
const host = window.parent;
const pending = new Map();
let nextId = 1;
let toolArguments;
let confirmation;
let targetTool;
const $ = (id) => document.getElementById(id);

function send(message) { host.postMessage({ jsonrpc: '2.0', ...message }, '*'); }
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function reportSize() {
  send({ method: 'ui/notifications/size-changed', params: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight } });
}
function applyTheme(context) {
  if (context?.theme === 'light' || context?.theme === 'dark') document.documentElement.dataset.theme = context.theme;
  const variables = context?.styles?.variables ?? {};
  for (const [name, value] of Object.entries(variables)) {
    if (name.startsWith('--') && typeof value === 'string') document.documentElement.style.setProperty(name, value);
  }
}
function textOf(result) {
  return (Array.isArray(result?.content) ? result.content : []).map((c) => (c && typeof c.text === 'string' ? c.text : '')).join('\\n');
}
function showOutcome(text, failed) {
  const outcome = $('outcome');
  outcome.textContent = text;
  outcome.className = failed ? 'warning' : '';
  reportSize();
}
function showResult(result) {
  const question = result?.structuredContent?.confirmation;
  const state = result?._meta?.[CONFIRMATION_KEY];
  if (!question || typeof state !== 'string') {
    $('question').hidden = true;
    return showOutcome(textOf(result), result?.isError === true);
  }
  confirmation = state;
  targetTool = String(question.tool);
  $('title').textContent = 'Allow ' + String(question.command) + '?';
  const lines = Array.isArray(question.lines) ? question.lines : [];
  $('lines').replaceChildren(...lines.map((line) => {
    const p = document.createElement('p');
    p.textContent = String(line);
    if (/cannot be undone/.test(String(line))) p.className = 'warning';
    return p;
  }));
  $('question').hidden = false;
  updateButtons();
  reportSize();
}
function updateButtons() {
  $('allow').disabled = !(confirmation && toolArguments);
  $('cancel').disabled = !confirmation;
}
function settle() {
  confirmation = undefined;
  updateButtons();
}

window.addEventListener('message', (event) => {
  if (event.source !== host) return;
  const message = event.data;
  if (!message || message.jsonrpc !== '2.0') return;
  if (message.id !== undefined && message.method === undefined) {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiting?.reject(new Error(String(message.error.message ?? 'refused')));
    else waiting?.resolve(message.result);
    return;
  }
  const params = message.params ?? {};
  if (message.method === 'ui/notifications/tool-input') { toolArguments = params.arguments ?? {}; updateButtons(); }
  else if (message.method === 'ui/notifications/tool-result') showResult(params);
  else if (message.method === 'ui/notifications/host-context-changed') applyTheme(params);
  else if (message.method === 'ui/resource-teardown') send({ id: message.id, result: {} });
  else if (message.method === 'ping') send({ id: message.id, result: {} });
});

$('allow').addEventListener('click', async () => {
  const args = { tool: targetTool, arguments: toolArguments, confirmation };
  settle();
  showOutcome('Running…', false);
  try {
    const result = await request('tools/call', { name: CONFIRM_TOOL, arguments: args });
    showOutcome(textOf(result) || (result?.isError ? 'Failed.' : 'Done.'), result?.isError === true);
  } catch (error) {
    showOutcome('Not run: ' + error.message, true);
  }
});
$('cancel').addEventListener('click', () => {
  settle();
  showOutcome('Cancelled. Nothing was run.', false);
});

request('ui/initialize', { protocolVersion: '2026-01-26', appInfo: { name: 'mittwald-mcp confirmation', version: '1' }, appCapabilities: {} })
  .then((result) => { applyTheme(result?.hostContext); send({ method: 'ui/notifications/initialized', params: {} }); reportSize(); })
  .catch(() => showOutcome('This view could not connect to its host.', true));
`;

export const CONFIRMATION_VIEW_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm</title>
<style>${STYLE}</style>
</head>
<body>
<section id="question" hidden>
<h1 id="title"></h1>
<div id="lines"></div>
<div class="actions"><button id="allow" class="allow" disabled>Allow</button><button id="cancel" disabled>Cancel</button></div>
</section>
<div id="outcome" role="status"></div>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
