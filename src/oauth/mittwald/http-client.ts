// MittwaldOAuthClient over fetch: public PKCE client, form-encoded token requests, every call
// bounded by the configured timeout. Error bodies are never echoed (they may contain tokens).
import type { AppConfig } from '../../config.ts';
import { MittwaldRejectedError, MittwaldUnavailableError } from '../errors.ts';
import type { MittwaldOAuthClient, MittwaldTokenSet } from './client.ts';

export function createMittwaldHttpClient(config: AppConfig['mittwald'], fetchImpl: typeof fetch = fetch): MittwaldOAuthClient {
  async function call(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetchImpl(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(config.httpTimeoutMs) });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${config.httpTimeoutMs} ms` : 'unreachable';
      throw new MittwaldUnavailableError(`mittwald ${new URL(url).pathname}: ${reason}`);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  async function tokenRequest(parameters: Record<string, string>): Promise<MittwaldTokenSet> {
    const { status, body } = await call(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ ...parameters, client_id: config.clientId }).toString(),
    });
    const fields = (body ?? {}) as Record<string, unknown>;
    if (status >= 400 && status < 500 && typeof fields.error === 'string') {
      throw new MittwaldRejectedError(fields.error, `mittwald token endpoint refused: ${fields.error}`);
    }
    if (status !== 200 || typeof fields.access_token !== 'string') {
      throw new MittwaldUnavailableError(`mittwald token endpoint answered ${status} without a token`);
    }
    return {
      accessToken: fields.access_token,
      refreshToken: typeof fields.refresh_token === 'string' ? fields.refresh_token : undefined,
      expiresInSeconds: typeof fields.expires_in === 'number' && fields.expires_in > 0 ? fields.expires_in : 3600,
      scopes: typeof fields.scope === 'string' ? fields.scope.split(' ').filter(Boolean) : undefined,
    };
  }

  return {
    authorizeUrl(state, codeChallenge, scopes) {
      const url = new URL(config.authorizationUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: config.redirectUri,
        scope: scopes.join(' '),
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    },

    exchangeCode(code, codeVerifier) {
      return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: config.redirectUri, code_verifier: codeVerifier });
    },

    refresh(refreshToken) {
      return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    },

    async fetchUserId(accessToken) {
      const { status, body } = await call(`${config.apiBaseUrl}/v2/users/self`, {
        headers: { 'x-access-token': accessToken, accept: 'application/json' },
      });
      const userId = (body as { userId?: unknown } | undefined)?.userId;
      if (status === 401 || status === 403) throw new MittwaldRejectedError('invalid_token', 'mittwald did not accept its own token');
      if (status !== 200 || typeof userId !== 'string' || !userId) {
        throw new MittwaldUnavailableError(`mittwald /v2/users/self answered ${status} without a user id`);
      }
      return userId;
    },
  };
}
