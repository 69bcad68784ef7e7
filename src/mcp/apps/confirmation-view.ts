// The confirmation view: the question a destructive or access-granting call needs answered, with
// Allow and Cancel. Allow calls the app-only tool with the confirmation the server issued for this
// call (from the result's `_meta`, which hosts keep from the model) and the call's arguments (from
// the host's tool-input notification); only that runs it. Everything shown is set as text, never
// as HTML (a target's name may hold anything a user typed). The view loads nothing from elsewhere:
// one inline document, no declared outside domain, so the host's CSP blocks every other origin.
// It speaks the extension's postMessage JSON-RPC by hand (view-document.ts; the SDK's bundle would
// be half a megabyte inline).
import { CONFIRM_IN_VIEW_TOOL, CONFIRMATION_META_KEY } from './view-confirmations.ts';
import { viewDocument } from './view-document.ts';

export const CONFIRMATION_VIEW_URI = 'ui://mittwald-mcp/confirmation';

const STYLE = `
p { margin: 0 0 6px; overflow-wrap: anywhere; white-space: pre-wrap; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 12px; }
button { padding: 8px 16px; border-radius: var(--border-radius-md, 8px); border: 1px solid var(--color-border-primary, #8884); cursor: pointer; min-width: 96px; background: var(--color-background-secondary, ButtonFace); }
button.allow { background: var(--color-background-danger, #b42318); color: var(--color-text-inverse, #fff); border-color: transparent; }
button:disabled { opacity: 0.5; cursor: default; }
#outcome { margin-top: 12px; }
@media (max-width: 420px) { .actions button { flex: 1 1 100%; } }
`;

const SCRIPT = `
const CONFIRM_TOOL = ${JSON.stringify(CONFIRM_IN_VIEW_TOOL)};
const CONFIRMATION_KEY = ${JSON.stringify(CONFIRMATION_META_KEY)};
let toolArguments;
let confirmation;
let targetTool;

function showOutcome(text, failed) {
  $('outcome').textContent = text;
  $('outcome').className = failed ? 'warning' : '';
  view.reportSize();
}
function updateButtons() {
  $('allow').disabled = !(confirmation && toolArguments);
  $('cancel').disabled = !confirmation;
}
function settle() {
  confirmation = undefined;
  updateButtons();
}
function onToolInput(args) {
  toolArguments = args;
  updateButtons();
}
function onToolResult(result) {
  const question = result?.structuredContent?.confirmation;
  const state = result?._meta?.[CONFIRMATION_KEY];
  if (!question || typeof state !== 'string') {
    $('question').hidden = true;
    return showOutcome(view.textOf(result), result?.isError === true);
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
  view.reportSize();
}

$('allow').addEventListener('click', async () => {
  const args = { tool: targetTool, arguments: toolArguments, confirmation };
  settle();
  showOutcome('Running…', false);
  try {
    const result = await view.request('tools/call', { name: CONFIRM_TOOL, arguments: args });
    showOutcome(view.textOf(result) || (result?.isError ? 'Failed.' : 'Done.'), result?.isError === true);
  } catch (error) {
    showOutcome('Not run: ' + error.message, true);
  }
});
$('cancel').addEventListener('click', () => {
  settle();
  showOutcome('Cancelled. Nothing was run.', false);
});
`;

export const CONFIRMATION_VIEW_HTML = viewDocument({
  title: 'Confirm',
  style: STYLE,
  body: `<section id="question" hidden>
<h1 id="title"></h1>
<div id="lines"></div>
<div class="actions"><button id="allow" class="allow" disabled>Allow</button><button id="cancel" disabled>Cancel</button></div>
</section>
<div id="outcome" role="status"></div>`,
  script: SCRIPT,
});
