// The few HTML pages a user sees at our origin. No scripts, no external resources; every value
// escaped. Headers forbid framing (clickjacking of the consent button).
import type { Response } from 'express';
import { FRAME_AND_SCRIPT_POLICY } from '../http/page-policy.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// Controls, bidirectional overrides and isolates, zero-width and other format characters, line
// separators, lone surrogates, and the Hangul fillers that render as blanks: a client picks its own
// name, and these would let it read as another's or hide part of it.
const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/gu;
const CLIENT_NAME_LENGTH = 80;

/** a client's self-chosen name as we show it: visible characters only, one line, at most 80 characters */
function displayClientName(name: string): string {
  // line breaks and tabs become spaces (not nothing, which would join words), then runs of spaces one
  const oneLine = name.replace(/\s/gu, ' ').replace(INVISIBLE_CHARACTERS, '').replace(/ {2,}/g, ' ').trim();
  const characters = Array.from(oneLine);
  if (characters.length <= CLIENT_NAME_LENGTH) return characters.join('');
  return `${characters.slice(0, CLIENT_NAME_LENGTH - 1).join('')}…`;
}

export const PAGE_HEADERS: Record<string, string> = {
  ...FRAME_AND_SCRIPT_POLICY,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

// Readable on a 375 px phone: a client's name, its redirect host and its id may be one long word,
// so any word breaks rather than widening the page. The keyboard's focus is drawn the same in every
// browser (2 px at least, dark on white and around the blue button alike).
const STYLE =
  'body{font-family:system-ui,sans-serif;line-height:1.45;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff;overflow-wrap:anywhere}' +
  'h1{font-size:1.75rem;line-height:1.2}code{background:#f2f2f2;padding:0 .2rem}ul{padding-left:1.2rem}' +
  'form{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}' +
  'button{font:inherit;min-height:2.75rem;padding:.5rem 1.25rem;border:1px solid #5f6368;border-radius:.375rem;background:#fff;color:#1b1b1b;cursor:pointer}' +
  'button.primary{background:#0b57d0;border-color:#0b57d0;color:#fff}' +
  'button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}';

export function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export interface ConsentView {
  uid: string;
  /** as the client wrote it (registered, or in its metadata document); cleaned up for display here */
  clientName: string;
  clientId: string;
  redirectHost: string;
  /** exactly the scopes that will be asked of mittwald, each with what it allows */
  permissions: Array<{ scope: string; description: string }>;
  csrfToken: string;
}

export function consentPage(view: ConsentView): string {
  const permissions = view.permissions
    .map(({ scope, description }) => `<li><code>${escapeHtml(scope)}</code> — ${escapeHtml(description)}</li>`)
    .join('');
  return page(
    'Connect to your mittwald account?',
    `<p><strong>${escapeHtml(displayClientName(view.clientName) || view.clientId)}</strong> wants to act on your mittwald account.</p>` +
      `<p>After you sign in, it will be sent back to <strong>${escapeHtml(view.redirectHost)}</strong>. ` +
      `Only continue if you started this from that app.</p>` +
      `<p>It will be allowed to act for you within your mittwald permissions:</p><ul>${permissions}</ul>` +
      `<p><small>Client id: <code>${escapeHtml(view.clientId)}</code></small></p>` +
      `<form method="post" action="/interaction/${encodeURIComponent(view.uid)}/confirm">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">` +
      `<button type="submit" name="decision" value="allow" class="primary">Continue to mittwald</button>` +
      `<button type="submit" name="decision" value="deny">Cancel</button></form>`,
  );
}

export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}

export function sendErrorPage(res: Response, status: number, title: string, message: string): void {
  sendPage(res, status, page(title, `<p>${escapeHtml(message)}</p><p>Please start the connection again from your app.</p>`));
}
