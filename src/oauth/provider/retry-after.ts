// Koa middleware around oidc-provider: a 503 (the store is unreachable) tells the client when to
// try again, as RFC 9110 suggests, so it retries instead of giving up on its grant.
import type { Middleware } from 'koa';

export const RETRY_AFTER_SECONDS = 5;

export const retryAfterWhenUnavailable: Middleware = async (ctx, next) => {
  await next();
  if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
};
