// One frame and script policy on every response the server sends, so every HTML page carries it:
// ours, oidc-provider's (its error page, the form_post page that hands a code to the client) and
// Express's own. No page may be framed (clickjacking of the consent button), and none runs a script
// but the form_post page's auto-submit, which oidc-provider adds to `script-src` by its hash.
import type { RequestHandler } from 'express';
import type { Middleware } from 'koa';

export const FRAME_AND_SCRIPT_POLICY: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
};

/** first in the app: a handler that sets its own policy still may, one that sets none gets this */
export function framesAndScriptsPolicy(): RequestHandler {
  return (_req, res, next) => {
    res.set(FRAME_AND_SCRIPT_POLICY);
    next();
  };
}

/** 'none' beside the hash oidc-provider added is not a valid source list (browsers drop the 'none' and warn) */
export const scriptHashesAlone: Middleware = async (ctx, next) => {
  await next();
  const policy: unknown = ctx.response.get('content-security-policy');
  if (typeof policy === 'string' && policy.includes("script-src 'none' 'sha256-")) {
    ctx.set('content-security-policy', policy.replace("script-src 'none' ", 'script-src '));
  }
};
