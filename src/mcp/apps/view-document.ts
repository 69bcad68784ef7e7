// What every view shares: the page around it (no outside resource, theme from the host, phone
// width) and the few MCP Apps messages it speaks by hand (ui/initialize, tool results, theme
// changes, size, tools/call and ui/open-link through the host), with messages taken only from the
// host (the parent window). Views set every value they show as text, never as HTML.

const BASE_STYLE = `
:root { color-scheme: light dark; font-family: var(--font-sans, system-ui, sans-serif); }
:root[data-theme="light"] { color-scheme: light; }
:root[data-theme="dark"] { color-scheme: dark; }
body { margin: 0; padding: 12px; background: var(--color-background-primary, Canvas); color: var(--color-text-primary, CanvasText); font-size: var(--font-text-md-size, 15px); line-height: 1.45; }
h1 { font-size: var(--font-heading-sm-size, 17px); margin: 0 0 8px; }
button, input { font: inherit; color: inherit; }
.warning { color: var(--color-text-danger, #b42318); font-weight: var(--font-weight-semibold, 600); }
`;

// Defines `$(id)`, `view.request(method, params)`, `view.reportSize()`, `view.textOf(result)`; calls
// `onToolInput(args)` and `onToolResult(result)` when the host sends them.
const BRIDGE_SCRIPT = `
const $ = (id) => document.getElementById(id);
const host = window.parent;
const pending = new Map();
let nextId = 1;
const send = (message) => host.postMessage({ jsonrpc: '2.0', ...message }, '*');
const view = {
  request(method, params) {
    const id = nextId++;
    send({ id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  },
  reportSize() {
    send({ method: 'ui/notifications/size-changed', params: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight } });
  },
  textOf(result) {
    return (Array.isArray(result?.content) ? result.content : []).map((c) => (c && typeof c.text === 'string' ? c.text : '')).join('\\n');
  },
};
function applyTheme(context) {
  if (context?.theme === 'light' || context?.theme === 'dark') document.documentElement.dataset.theme = context.theme;
  for (const [name, value] of Object.entries(context?.styles?.variables ?? {})) {
    if (name.startsWith('--') && typeof value === 'string') document.documentElement.style.setProperty(name, value);
  }
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
  if (message.method === 'ui/notifications/tool-input') onToolInput(params.arguments ?? {});
  else if (message.method === 'ui/notifications/tool-result') onToolResult(params);
  else if (message.method === 'ui/notifications/host-context-changed') applyTheme(params);
  else if (message.method === 'ui/resource-teardown' || message.method === 'ping') send({ id: message.id, result: {} });
});
`;

const START_SCRIPT = `
view.request('ui/initialize', { protocolVersion: '2026-01-26', appInfo: { name: 'mittwald-mcp', version: '1' }, appCapabilities: {} })
  .then((result) => { applyTheme(result?.hostContext); send({ method: 'ui/notifications/initialized', params: {} }); view.reportSize(); })
  .catch(() => { document.body.textContent = 'This view could not connect to its host.'; });
`;

/** A whole view: `script` defines onToolInput and onToolResult and uses `view` and `$`. */
export function viewDocument(parts: { title: string; style: string; body: string; script: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${parts.title}</title>
<style>${BASE_STYLE}${parts.style}</style>
</head>
<body>
${parts.body}
<script type="module">${BRIDGE_SCRIPT}${parts.script}${START_SCRIPT}</script>
</body>
</html>
`;
}
