import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { resolve } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { generateKeys, toEnvFile } from '../../scripts/generate-keys.ts';
import { parseDockerEnvFile } from '../support/docker-env-file.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://mcp.example.com' };

describe('generated keys', () => {
  it('are accepted by loadConfig in production', () => {
    const keys = generateKeys();
    const config = loadConfig({ ...production, ...keys }, repoRoot);
    expect(config.production).toBe(true);
    expect(config.keys.generated).toBe(false);
    expect(config.keys.cookieKeys).toHaveLength(2);
    expect(config.keys.tokenEncryptionKeys).toHaveLength(1);
    expect(config.keys.tokenEncryptionKeys[0]).toHaveLength(32);
    expect(config.keys.jwks.keys).toHaveLength(1);
    expect(config.keys.jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('survive the round trip through a .env file', () => {
    const keys = generateKeys();
    const parsed = parseEnv(toEnvFile(keys));
    expect(parsed).toEqual(keys);
    expect(loadConfig({ ...production, ...parsed }, repoRoot).keys.generated).toBe(false);
  });

  it('read the same with docker run --env-file, which keeps quotes, as with dotenv parsers', () => {
    const keys = generateKeys();
    const file = toEnvFile(keys);
    expect(parseDockerEnvFile(file)).toEqual(keys);
    expect(parseDockerEnvFile(file)).toEqual(parseEnv(file));
    expect(loadConfig({ ...production, ...parseDockerEnvFile(file) }, repoRoot).keys.jwks.keys).toHaveLength(1);
  });

  it('hold a signing key that signs ES256 and verifies with its public half', () => {
    const [jwk] = JSON.parse(generateKeys().OAUTH_JWKS).keys;
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    const signature = sign('sha256', Buffer.from('payload'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const publicKey = createPublicKey(privateKey);
    expect(verify('sha256', Buffer.from('payload'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(jwk.kid).toMatch(/^[\w-]{43}$/);
  });

  it('are fresh on every call', () => {
    const [a, b] = [generateKeys(), generateKeys()];
    expect(a.OAUTH_JWKS).not.toBe(b.OAUTH_JWKS);
    expect(a.COOKIE_KEYS).not.toBe(b.COOKIE_KEYS);
    expect(a.TOKEN_ENCRYPTION_KEY).not.toBe(b.TOKEN_ENCRYPTION_KEY);
    const [first, second] = a.COOKIE_KEYS.split(',');
    expect(first).not.toBe(second);
  });

  it('are printed in .env format when the script runs', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/generate-keys.ts'], { cwd: repoRoot });
    const parsed = parseEnv(stdout);
    expect(Object.keys(parsed).sort()).toEqual(['COOKIE_KEYS', 'OAUTH_JWKS', 'TOKEN_ENCRYPTION_KEY']);
    expect(loadConfig({ ...production, ...parsed }, repoRoot).keys.generated).toBe(false);
  });
});
