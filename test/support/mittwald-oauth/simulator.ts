// A local stand-in for mittwald's OAuth server (api.mittwald.de/v2/oauth2/*) and its current-user
// lookup, strict where mittwald is strict: fixed client id and redirect URI, S256 PKCE only, known
// scope names, form-encoded token requests, single-use codes, refresh tokens that die on use.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';

export interface MittwaldOAuthSimulatorOptions {
  clientId: string;
  /** the one redirect URI registered for the client */
  redirectUri: string;
  /** scope names mittwald knows */
  scopes: string[];
  /** expires_in of minted access tokens (default 3600) */
  accessTokenLifetimeSeconds?: number;
}

export interface SimulatorCounters {
  authorizations: number;
  codeExchanges: number;
  refreshes: number;
  userLookups: number;
}

export interface MittwaldOAuthSimulator {
  /** origin, e.g. http://127.0.0.1:41234 (also the API base URL for /v2/users/self) */
  url: string;
  authorizationUrl: string;
  tokenUrl: string;
  /** the user who "logs in" at the next authorization */
  loginAs(userId: string): void;
  /** the user refuses at mittwald: the authorization answers error=access_denied */
  setDeny(deny: boolean): void;
  /** the token endpoint and user lookup answer 503 */
  setDown(down: boolean): void;
  /** the token endpoint answers only after this many ms (0: at once) */
  setSlow(delayMs: number): void;
  /** refresh requests answer invalid_grant (the user ended the session at mittwald) */
  setRefuseRefresh(refuse: boolean): void;
  /** grant only these of the requested scopes (undefined: everything requested) */
  setGrantedScopes(scopes: string[] | undefined): void;
  setAccessTokenLifetime(seconds: number): void;
  counters: SimulatorCounters;
  /** called for every access token minted (code exchange and refresh) */
  onTokenIssued(listener: (accessToken: string, userId: string) => void): void;
  /** the scope mittwald was asked for at the last authorization */
  lastRequestedScope(): string | undefined;
  close(): Promise<void>;
}

interface IssuedCode {
  userId: string;
  codeChallenge: string;
  scopes: string[];
}

interface IssuedToken {
  userId: string;
  scopes: string[];
  expiresAt: number;
}

export async function startMittwaldOAuthSimulator(options: MittwaldOAuthSimulatorOptions): Promise<MittwaldOAuthSimulator> {
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, { userId: string; scopes: string[] }>();
  const listeners: Array<(accessToken: string, userId: string) => void> = [];
  const counters: SimulatorCounters = { authorizations: 0, codeExchanges: 0, refreshes: 0, userLookups: 0 };
  let currentUser = 'user-1';
  let deny = false;
  let down = false;
  let slowMs = 0;
  let refuseRefresh = false;
  let grantedScopes: string[] | undefined;
  let lifetime = options.accessTokenLifetimeSeconds ?? 3600;
  let lastScope: string | undefined;

  const secret = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
  const oauthError = (res: Response, status: number, error: string, description: string) =>
    res.status(status).json({ error, error_description: description });

  function mintTokens(userId: string, scopes: string[]) {
    const accessToken = secret('mwsim-at-');
    const refreshToken = secret('mwsim-rt-');
    accessTokens.set(accessToken, { userId, scopes, expiresAt: Date.now() + lifetime * 1000 });
    refreshTokens.set(refreshToken, { userId, scopes });
    for (const listener of listeners) listener(accessToken, userId);
    return { access_token: accessToken, refresh_token: refreshToken, expires_in: lifetime, scope: scopes.join(' '), token_type: 'bearer' };
  }

  function authorize(req: Request, res: Response) {
    const q = req.query as Record<string, string | undefined>;
    if (q.client_id !== options.clientId) return oauthError(res, 400, 'invalid_client', 'unknown client_id');
    if (q.redirect_uri !== options.redirectUri) return oauthError(res, 400, 'invalid_request', 'redirect_uri is not registered');
    const back = (params: Record<string, string>) => {
      const target = new URL(options.redirectUri);
      for (const [name, value] of Object.entries({ ...params, ...(q.state ? { state: q.state } : {}) })) target.searchParams.set(name, value);
      res.redirect(302, target.href);
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    if (q.code_challenge_method !== 'S256' || !q.code_challenge) return back({ error: 'invalid_request', error_description: 'S256 PKCE required' });
    lastScope = q.scope;
    const requested = (q.scope ?? '').split(' ').filter(Boolean);
    if (requested.length === 0 || requested.some((s) => !options.scopes.includes(s))) {
      return back({ error: 'invalid_scope', error_description: 'No existing and allowed scopes were provided' });
    }
    counters.authorizations++;
    if (deny) return back({ error: 'access_denied', error_description: 'the user declined' });
    const scopes = grantedScopes ? requested.filter((s) => grantedScopes!.includes(s)) : requested;
    const code = secret('mwsim-code-');
    codes.set(code, { userId: currentUser, codeChallenge: q.code_challenge, scopes });
    back({ code });
  }

  /**
   * A slow answer: true after `slowMs`, false as soon as the client gave up (or the simulator
   * closes). A request nobody waits for is dropped, and no timer outlives the simulator.
   */
  const slowDelays = new Set<() => void>();
  function answerLate(res: Response): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (answered: boolean) => {
        clearTimeout(timer);
        res.off('close', abandon);
        slowDelays.delete(abandon);
        resolve(answered);
      };
      const abandon = () => finish(false);
      const timer = setTimeout(() => finish(true), slowMs);
      res.once('close', abandon);
      slowDelays.add(abandon);
    });
  }

  async function token(req: Request, res: Response) {
    if (!req.is('application/x-www-form-urlencoded')) return oauthError(res, 400, 'invalid_request', 'form-encoded body required');
    if (slowMs && !(await answerLate(res))) return;
    if (down) return res.status(503).send('service unavailable');
    const body = req.body as Record<string, string | undefined>;
    if (body.client_id !== options.clientId) return oauthError(res, 401, 'invalid_client', 'unknown client');
    if (body.grant_type === 'authorization_code') {
      counters.codeExchanges++;
      const issued = body.code ? codes.get(body.code) : undefined;
      if (body.code) codes.delete(body.code);
      if (!issued) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
      if (body.redirect_uri !== options.redirectUri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri mismatch');
      const challenge = createHash('sha256').update(body.code_verifier ?? '').digest('base64url');
      if (challenge !== issued.codeChallenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
      return res.json(mintTokens(issued.userId, issued.scopes));
    }
    if (body.grant_type === 'refresh_token') {
      counters.refreshes++;
      const issued = body.refresh_token ? refreshTokens.get(body.refresh_token) : undefined;
      if (body.refresh_token) refreshTokens.delete(body.refresh_token);
      if (!issued || refuseRefresh) return oauthError(res, 400, 'invalid_grant', 'refresh token is invalid');
      return res.json(mintTokens(issued.userId, issued.scopes));
    }
    return oauthError(res, 400, 'unsupported_grant_type', 'unsupported grant_type');
  }

  function currentUserLookup(req: Request, res: Response) {
    counters.userLookups++;
    if (down) return res.status(503).send('service unavailable');
    const presented = req.get('x-access-token') ?? /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const issued = presented ? accessTokens.get(presented) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) return res.status(401).json({ type: 'Unauthorized', message: 'invalid token' });
    res.json({ userId: issued.userId, email: `${issued.userId}@example.test`, person: { firstName: 'Test', lastName: issued.userId } });
  }

  const app = express();
  app.disable('x-powered-by');
  app.get('/v2/oauth2/authorize', authorize);
  app.post('/v2/oauth2/token', express.urlencoded({ extended: false }), (req, res, next) => {
    token(req, res).catch(next);
  });
  app.get('/v2/users/self', currentUserLookup);

  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    authorizationUrl: `${url}/v2/oauth2/authorize`,
    tokenUrl: `${url}/v2/oauth2/token`,
    loginAs: (userId) => void (currentUser = userId),
    setDeny: (value) => void (deny = value),
    setDown: (value) => void (down = value),
    setSlow: (value) => void (slowMs = value),
    setRefuseRefresh: (value) => void (refuseRefresh = value),
    setGrantedScopes: (value) => void (grantedScopes = value),
    setAccessTokenLifetime: (value) => void (lifetime = value),
    counters,
    onTokenIssued: (listener) => void listeners.push(listener),
    lastRequestedScope: () => lastScope,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const abandon of [...slowDelays]) abandon();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
