// One browser, two mittwald accounts one after the other (a user with a private and a work login).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import type { MittwaldOAuthSimulator } from '../support/mittwald-oauth/simulator.ts';
import { startOAuthTestDeployment, type OAuthTestApp, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { authorizeInBrowser, registerClient, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';

let deployment: OAuthTestDeployment;
let app: OAuthTestApp;
let mittwald: MittwaldOAuthSimulator;

beforeAll(async () => {
  deployment = await startOAuthTestDeployment();
  ({ app, mittwald } = deployment);
});

afterAll(() => deployment.close());

it('asks again and issues tokens for the account that logged in last, in the same browser', async () => {
  const { body } = await registerClient(app.url, { client_name: 'App', redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'none' });
  const client = body as unknown as RegisteredClient;
  const browser = new TestBrowser();
  const accounts = [];
  for (const user of ['user-private', 'user-work']) {
    mittwald.loginAs(user);
    const before = mittwald.counters.authorizations;
    const outcome = await authorizeInBrowser(app.url, client, { browser });
    expect(mittwald.counters.authorizations).toBe(before + 1);
    const code = outcome.callback?.searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await tokenRequest(app.url, client, { grant_type: 'authorization_code', code: code!, code_verifier: outcome.verifier, redirect_uri: client.redirect_uris[0] });
    accounts.push((await app.facade.verifier.verify(String(tokens.body.access_token)))?.accountId);
  }
  expect(accounts).toEqual(['user-private', 'user-work']);
});
