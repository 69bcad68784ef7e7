// The user-facing part of an authorization, between oidc-provider and mittwald:
//   GET  /interaction/:uid            consent page (client name, redirect host, scopes)
//   POST /interaction/:uid/confirm    allow -> browser to mittwald with our state + PKCE; deny -> access_denied
//   GET  /mittwald/callback           mittwald's fixed redirect: find the interaction, hop under its path
//   GET  /interaction/:uid/mittwald   exchange mittwald's code, store its tokens, finish the authorization
// The hop exists because oidc-provider's interaction cookie is scoped to /interaction/<uid>: only
// there can we prove the callback arrived in the browser that started the authorization.
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import type { AppConfig } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { MittwaldRejectedError, MittwaldUnavailableError } from '../errors.ts';
import type { MittwaldOAuthClient } from '../mittwald/client.ts';
import type { TokenVault } from '../mittwald/token-vault.ts';
import { toStoredTokens } from '../mittwald/upstream-session.ts';
import { describeScope, grantedOidcScopes, grantedUpstreamScopes, parseScope, scopesToGrant, upstreamScopesOf } from '../scopes.ts';
import { INTERACTION_TTL_SECONDS } from '../provider/configuration.ts';
import { RETRY_AFTER_SECONDS } from '../provider/retry-after.ts';
import { StoreUnavailableError } from '../../store/index.ts';
import type { ConsentCsrf } from './csrf.ts';
import { consentPage, sendErrorPage, sendPage } from './pages.ts';
import type { PendingLogins } from './pending-logins.ts';

export interface InteractionRoutesDeps {
  provider: Provider;
  config: AppConfig;
  mittwald: MittwaldOAuthClient;
  vault: TokenVault;
  pendingLogins: PendingLogins;
  csrf: ConsentCsrf;
  logger: Logger;
  now: () => number;
}

type Handler = (req: Request, res: Response) => Promise<void>;
const handle = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
  fn(req, res).catch(next);
};

export function createInteractionRoutes(deps: InteractionRoutesDeps): Router {
  const { provider, config, mittwald, vault, pendingLogins, csrf, logger, now } = deps;
  const scopes = config.mittwald.scopes;

  const finishWithError = (req: Request, res: Response, error: string, description: string) =>
    provider.interactionFinished(req, res, { error, error_description: description }, { mergeWithLastSubmission: false });

  const showConsent: Handler = async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId);
    sendPage(
      res,
      200,
      consentPage({
        uid: details.uid,
        clientId,
        clientName: client?.clientName ?? clientId,
        redirectHost: redirectHostOf(String(details.params.redirect_uri)),
        // What is asked of mittwald (confirmConsent) and granted (completeMittwaldLogin), nothing else a client wrote.
        permissions: scopesToGrant(parseScope(details.params.scope), scopes).map((scope) => ({ scope, description: describeScope(scope) })),
        csrfToken: csrf.tokenFor(details.uid),
      }),
    );
  };

  const confirmConsent: Handler = async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    if (!csrf.isValid(details.uid, req.body?.csrf)) {
      sendErrorPage(res, 403, 'This form has expired', 'The confirmation did not come from the page we showed.');
      return;
    }
    if (req.body?.decision !== 'allow') {
      await finishWithError(req, res, 'access_denied', 'the user cancelled the authorization');
      return;
    }
    const upstreamScopes = upstreamScopesOf(parseScope(details.params.scope), scopes);
    const { state, codeChallenge } = await pendingLogins.start(details.uid, upstreamScopes);
    res.redirect(303, mittwald.authorizeUrl(state, codeChallenge, upstreamScopes));
  };

  const returnFromMittwald: Handler = async (req, res) => {
    const uid = await pendingLogins.interactionOf(String(req.query.state ?? ''));
    if (!uid) {
      sendErrorPage(res, 400, 'This sign-in link is not valid', 'It is unknown, expired or was already used.');
      return;
    }
    const query = new URLSearchParams(req.query as Record<string, string>).toString();
    res.redirect(303, `/interaction/${encodeURIComponent(uid)}/mittwald?${query}`);
  };

  const completeMittwaldLogin: Handler = async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const login = await pendingLogins.take(String(req.query.state ?? ''));
    if (!login || login.uid !== details.uid) {
      sendErrorPage(res, 400, 'This sign-in link is not valid', 'It is unknown, expired, was already used or belongs to another sign-in.');
      return;
    }
    if (typeof req.query.error === 'string') {
      const error = upstreamLoginError(req.query.error);
      await finishWithError(req, res, error, 'the mittwald login did not complete');
      return;
    }

    let session;
    try {
      const tokens = await mittwald.exchangeCode(String(req.query.code ?? ''), login.codeVerifier);
      const accountId = await mittwald.fetchUserId(tokens.accessToken);
      session = { tokens, accountId };
    } catch (error) {
      if (error instanceof MittwaldUnavailableError) {
        logger.warn('mittwald unavailable while completing a login', { error: error.message });
        await finishWithError(req, res, 'temporarily_unavailable', 'mittwald is not reachable right now; try again shortly');
        return;
      }
      if (error instanceof MittwaldRejectedError) {
        logger.warn('mittwald refused the login code', { error: error.error });
        await finishWithError(req, res, 'server_error', 'mittwald did not accept the login');
        return;
      }
      throw error;
    }

    const clientId = String(details.params.client_id);
    const granted = grantedUpstreamScopes(login.upstreamScopes, session.tokens.scopes);
    const requestedOidc = grantedOidcScopes(parseScope(details.params.scope), scopes);
    const grant = new provider.Grant({ accountId: session.accountId, clientId });
    // Upstream scopes are both "OIDC" scopes (they are listed in `scopes` so DCR and discovery know
    // them) and the MCP resource's scopes: grant them in both places.
    grant.addOIDCScope([...requestedOidc, ...granted].join(' '));
    grant.addResourceScope(config.mcpResource, granted.join(' '));
    const grantId = await grant.save();
    await vault.write(grantId, toStoredTokens(session.tokens, now()));
    await forgetOtherAccountInBrowser(details, session.accountId);
    logger.info('mittwald login completed', { clientId, grantId, scopes: granted.join(' ') });

    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: session.accountId, remember: false }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  /**
   * The browser's oidc-provider session still names the mittwald account of an earlier sign-in.
   * Left alone, finishing with another account would end in oidc-provider's logout form (which we
   * do not serve): forget the old account in both the browser session and this interaction's copy
   * of it; the account that just logged in at mittwald is the one that counts.
   */
  async function forgetOtherAccountInBrowser(interaction: Interaction, accountId: string): Promise<void> {
    const previous = interaction.session;
    if (!previous?.accountId || previous.accountId === accountId) return;
    const browserSession = await provider.Session.findByUid(previous.uid);
    if (browserSession) {
      browserSession.accountId = undefined;
      browserSession.authorizations = {};
      await browserSession.save(INTERACTION_TTL_SECONDS);
    }
    (previous as { accountId?: string }).accountId = undefined;
    await interaction.save(Math.max(1, interaction.exp - Math.floor(now() / 1000)));
  }

  const renderInteractionError = (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof StoreUnavailableError) {
      logger.warn('authorization interaction during a store outage', { error: error.message });
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      sendErrorPage(res, 503, 'Please try again in a moment', 'The sign-in service is briefly unavailable. Nothing was lost.');
      return;
    }
    if (error instanceof errors.SessionNotFound) {
      sendErrorPage(res, 400, 'This sign-in has expired', 'It took too long, was already finished, or cookies are blocked in this browser.');
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // the request itself is bad (a body over the limit, broken percent-encoding in the path)
      sendErrorPage(res, status, 'This request cannot be handled', 'It is malformed or too large.');
      return;
    }
    logger.error('authorization interaction failed', { error });
    sendErrorPage(res, 500, 'Something went wrong', 'The sign-in could not be completed.');
  };

  const router = Router();
  router.get('/interaction/:uid', handle(showConsent));
  router.post('/interaction/:uid/confirm', express.urlencoded({ extended: false, limit: '8kb' }), handle(confirmConsent));
  router.get(new URL(config.mittwald.redirectUri).pathname, handle(returnFromMittwald));
  router.get('/interaction/:uid/mittwald', handle(completeMittwaldLogin));
  router.use(['/interaction', new URL(config.mittwald.redirectUri).pathname], renderInteractionError);
  return router;
}

function redirectHostOf(redirectUri: string): string {
  const parsed = URL.parse(redirectUri);
  if (!parsed) return redirectUri;
  return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.host : `${parsed.protocol}//${parsed.host}`;
}

/** mittwald's error at our callback, as the error our client receives */
function upstreamLoginError(error: string): string {
  if (error === 'access_denied' || error === 'temporarily_unavailable') return error;
  return 'server_error';
}
